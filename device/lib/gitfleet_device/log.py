"""Messages go to stderr, one line each, prefixed with the program name: Mender copies an update module's
stderr into the deployment log, and an inventory script's stdout is reserved for key=value lines."""

import os
import sys


def program() -> str:
    return os.path.basename(sys.argv[0]) or "gitfleet"


def info(message: str) -> None:
    print(f"{program()}: {message}", file=sys.stderr, flush=True)


def error(message: str) -> None:
    print(f"{program()}: error: {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    """An expected failure with a message meant for the deployment log; the script exits non-zero."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def main(function) -> None:
    """Runs a script's main function: a Failure becomes one error line and its exit code."""
    try:
        code = function()
    except Failure as failure:
        error(str(failure))
        code = failure.exit_code
    except OSError as problem:  # disk full, permissions, a missing program: one line, not a traceback
        error(str(problem))
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code or 0)
