"""Crash-safe file updates: write a temp file in the target's directory, fsync it, rename it over the target,
fsync the directory. A reader sees the old content or the new content, never a mix."""

import os
import tempfile


def fsync_directory(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, mode: int = 0o644) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    fsync_directory(directory)


def atomic_copy(source: str, destination: str, mode: int = 0o644) -> None:
    with open(source, "rb") as handle:
        atomic_write(destination, handle.read(), mode)


def atomic_symlink(target: str, link: str) -> None:
    """Points the symlink `link` at `target` in one rename (creates it when missing)."""
    directory = os.path.dirname(os.path.abspath(link))
    temp = os.path.join(directory, "." + os.path.basename(link) + f".{os.getpid()}.tmp")
    try:
        os.unlink(temp)
    except FileNotFoundError:
        pass
    os.symlink(target, temp)
    os.replace(temp, link)
    fsync_directory(directory)


def remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    fsync_directory(os.path.dirname(os.path.abspath(path)))
