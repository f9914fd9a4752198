"""Runs the executables of a hook directory in lexical (byte) order, each with the same arguments."""

import os
import subprocess
import sys

from .log import info

REBOOT_REQUESTED = 20


def hook_files(directory: str) -> list:
    """Executable regular files, skipping dot files, editor backups and dpkg leftovers."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    hooks = []
    for name in sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape")):
        path = os.path.join(directory, name)
        if name.startswith(".") or name.endswith("~") or ".dpkg-" in name:
            continue
        if not os.path.isfile(path):
            continue
        if not os.access(path, os.X_OK):
            info(f"skipping {path}: not executable")
            continue
        hooks.append(path)
    return hooks


def run_all(directory: str, arguments: list, environment: dict | None = None, timeout: float | None = None,
            reboot_code: bool = True) -> tuple:
    """Runs every hook of the directory; see run_each."""
    return run_each(hook_files(directory), arguments, environment, timeout, reboot_code)


def run_each(programs: list, arguments: list, environment: dict | None = None, timeout: float | None = None,
             reboot_code: bool = True) -> tuple:
    """Runs the programs in order; stops at the first failure. Returns (failed program or None, its exit code,
    reboot requested). With reboot_code, exit code 20 means success but the device needs a reboot. A program's
    stdout and stderr go to our stderr (the deployment log)."""
    reboot = False
    for hook in programs:
        info(f"running {hook}")
        try:
            result = subprocess.run([hook, *arguments], stdin=subprocess.DEVNULL, stdout=sys.stderr,
                                    stderr=sys.stderr, env=environment, timeout=timeout)
            code = result.returncode
        except subprocess.TimeoutExpired:
            info(f"{hook} did not finish within {timeout} s")
            return hook, 124, reboot
        except OSError as problem:
            info(f"cannot run {hook}: {problem}")
            return hook, 126, reboot
        if reboot_code and code == REBOOT_REQUESTED:
            info(f"{hook} succeeded and requests a reboot")
            reboot = True
        elif code != 0:
            return hook, code, reboot
    return None, 0, reboot
