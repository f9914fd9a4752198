"""The device configuration: a flat JSON object of string values (what Mender's deviceconfig and Gitfleet send
as the `mender-configure` artifact's meta-data)."""

import hashlib
import json
import struct

from .log import Failure

EXPECTED_OS_IMAGE = "expected_os_image"
SUBSCRIBED_BRANCH = "subscribed_branch"


def parse(data: bytes, source: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as problem:
        raise Failure(f"{source} is not valid JSON: {problem}") from None
    if not isinstance(value, dict):
        raise Failure(f"{source} must be a JSON object of string values, found {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise Failure(f"{source}: the value of '{key}' must be a string, found {json.dumps(item)[:60]}")
    return value


def load(path: str) -> dict:
    with open(path, "rb") as handle:
        return parse(handle.read(), path)


def _utf8(text: str) -> bytes:
    # .NET encodes a lone surrogate as U+FFFD; do the same so both sides hash identical bytes.
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace").encode("utf-8")


def checksum(configuration: dict) -> str:
    """SHA-256 over the keys in ordinal (UTF-16 code unit) order, each key then its value as a 4-byte big-endian
    length and the UTF-8 bytes; lowercase hex. Equal to Gitfleet.Core.Facts.ConfigurationChecksum.Compute."""
    digest = hashlib.sha256()
    for key in sorted(configuration, key=lambda k: k.encode("utf-16-be", "surrogatepass")):
        for text in (key, configuration[key]):
            data = _utf8(text)
            digest.update(struct.pack(">I", len(data)))
            digest.update(data)
    return digest.hexdigest()
