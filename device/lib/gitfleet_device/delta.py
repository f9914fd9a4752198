"""Rebuilding an OS image from the running one plus a binary delta (the gitfleet-delta update module).

The delta artifact's meta-data (a flat JSON object of strings, `header/meta-data` in the module's file tree) says
which image file the slot holds, the delta's format and file, and the base's and target's version, size and
SHA-256. The base is checked before anything is written, the result before anything switches; on any mismatch
the inactive slot is left as it was and the update fails with the reason.
"""

import hashlib
import json
import os
import shutil
import subprocess

from . import log, settings
from .log import Failure

FORMATS = ("xdelta3",)
CHUNK = 1 << 20
REQUIRED = ("format", "image", "delta_file", "base_version", "base_sha256", "base_size", "target_version",
            "target_sha256", "target_size")


def supported_formats() -> list:
    """The delta formats this device can apply: the gitfleet-delta module is installed and xdelta3 is there."""
    module = os.path.join(settings.get("GITFLEET_MODULES_DIR"), "gitfleet-delta")
    if not os.access(module, os.X_OK) or shutil.which(settings.get("GITFLEET_XDELTA3")) is None:
        return []
    return list(FORMATS)


def read_meta_data(tree: str) -> dict:
    path = os.path.join(tree, "header", "meta-data")
    try:
        with open(path, encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, json.JSONDecodeError) as problem:
        raise Failure(f"the delta artifact has no readable meta-data ({path}): {problem}") from None
    if not isinstance(meta, dict):
        raise Failure("the delta artifact's meta-data must be a JSON object")
    missing = [key for key in REQUIRED if not isinstance(meta.get(key), str) or not meta[key]]
    if missing:
        raise Failure(f"the delta artifact's meta-data lacks {', '.join(missing)}")
    if meta["format"] not in FORMATS:
        raise Failure(f"delta format '{meta['format']}' is not supported by this device (it applies {', '.join(FORMATS)})")
    for key in ("image", "delta_file"):
        if "/" in meta[key] or meta[key] in (".", ".."):
            raise Failure(f"the delta artifact's {key} '{meta[key]}' is not a plain file name")
    return meta


def sha256_of(path: str, limit: int) -> tuple:
    """SHA-256 and length of the first `limit` bytes of a file (a block device may be longer than its image)."""
    digest = hashlib.sha256()
    total = 0
    with open(path, "rb") as handle:
        while total < limit:
            block = handle.read(min(CHUNK, limit - total))
            if not block:
                break
            digest.update(block)
            total += len(block)
    return digest.hexdigest(), total


def check_base(base: str, meta: dict, active: str) -> None:
    if not os.path.exists(base):
        raise Failure(f"the running slot {active} has no image file '{meta['image']}' to apply the delta to "
                      f"(it was not installed from an image artifact); a full image is needed")
    size = int(meta["base_size"])
    checksum, length = sha256_of(base, size)
    if length != size or checksum != meta["base_sha256"]:
        raise Failure(f"the running image in slot {active} is not the delta's base '{meta['base_version']}' "
                      f"(expected {size} bytes with SHA-256 {meta['base_sha256']}, found {length} bytes with {checksum}); "
                      f"nothing was changed")


def rebuild(base: str, delta: str, output: str, meta: dict) -> None:
    """Decodes base + delta into `output`, hashing on the way; raises Failure (and removes `output`) on a mismatch."""
    program = settings.get("GITFLEET_XDELTA3")
    if shutil.which(program) is None:
        raise Failure(f"'{program}' is not installed; install the xdelta3 package to apply delta updates")
    command = [program, "-d", "-c", "-f", "-B", settings.get("GITFLEET_DELTA_SOURCE_WINDOW"), "-s", base, delta]
    digest = hashlib.sha256()
    total = 0
    with open(output, "wb") as sink:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while True:
            block = process.stdout.read(CHUNK)
            if not block:
                break
            digest.update(block)
            sink.write(block)
            total += len(block)
        errors = process.stderr.read().decode("utf-8", "replace").strip()
        code = process.wait()
        sink.flush()
        os.fsync(sink.fileno())
    if code != 0:
        os.unlink(output)
        raise Failure(f"xdelta3 could not apply the delta (exit code {code}): {errors or 'no message'}; nothing was switched")
    checksum = digest.hexdigest()
    if total != int(meta["target_size"]) or checksum != meta["target_sha256"]:
        os.unlink(output)
        raise Failure(f"the rebuilt image of '{meta['target_version']}' does not match the artifact: {total} bytes with "
                      f"SHA-256 {checksum}, expected {meta['target_size']} bytes with {meta['target_sha256']}; "
                      f"the running image stays active")
    log.info(f"rebuilt '{meta['target_version']}' from '{meta['base_version']}' ({total} bytes, SHA-256 verified)")
