"""Which OS image is this device running? The same answer Gitfleet's server derives from the device's provides:
`rootfs-image.version` as `mender show-provides` prints it; when the Mender database has none (a freshly
provisioned device that never installed an OS artifact), the image baked into the root filesystem as
/etc/mender/artifact_info (its `rootfs-image.version`, else its `artifact_name`)."""

import os
import re
import subprocess

from . import settings

ROOTFS_IMAGE_VERSION = "rootfs-image.version"

# An update module's file tree lives at <mender data dir>/modules/v3/payloads/<nnnn>/tree.
_TREE = re.compile(r"^(?P<data>.+)/modules/v3/payloads/[0-9]+/tree/?$")


def parse_key_values(text: str) -> dict:
    values = {}
    for line in text.splitlines():
        key, separator, value = line.partition("=")
        if separator and key.strip():
            values[key.strip()] = value.strip()
    return values


def parent_mender_option(*names: str) -> str:
    """The value of an option (e.g. --data) on the command line of the mender process that started us (update
    modules and inventory scripts run as its children), or ""."""
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as handle:
            arguments = handle.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return ""
    if not arguments or os.path.basename(arguments[0]) != "mender":
        return ""
    for index, argument in enumerate(arguments[:-1]):
        if argument in names:
            return arguments[index + 1]
        for name in names:
            if argument.startswith(name + "="):
                return argument[len(name) + 1:]
    return ""


def mender_data_dir(module_tree: str | None = None) -> str:
    """GITFLEET_MENDER_DATA, else the data dir holding the module's file tree, else the parent mender's --data."""
    explicit = settings.get("GITFLEET_MENDER_DATA")
    if explicit:
        return explicit
    if module_tree:
        match = _TREE.match(os.path.abspath(module_tree))
        if match:
            return match.group("data")
    return parent_mender_option("--data", "-d")


def mender_config_file() -> str:
    """GITFLEET_MENDER_CONF, else the parent mender's --config, else "" (mender's default)."""
    return settings.get("GITFLEET_MENDER_CONF") or parent_mender_option("--config", "-c")


def mender_provides(module_tree: str | None = None) -> dict | None:
    """The device's current provides, or None when `mender show-provides` cannot be run."""
    command = [settings.get("GITFLEET_MENDER"), "--no-syslog", "--log-level", "error"]
    if mender_config_file():
        command += ["--config", mender_config_file()]
    data = mender_data_dir(module_tree)
    if data:
        command += ["--data", data]
    command.append("show-provides")
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return parse_key_values(result.stdout)


def artifact_info() -> dict:
    try:
        with open(settings.get("GITFLEET_ARTIFACT_INFO"), encoding="utf-8") as handle:
            return parse_key_values(handle.read())
    except OSError:
        return {}


def running_image(module_tree: str | None = None) -> tuple[str | None, str]:
    """Returns (image name or None, where it came from)."""
    provides = mender_provides(module_tree)
    if provides and provides.get(ROOTFS_IMAGE_VERSION):
        return provides[ROOTFS_IMAGE_VERSION], "mender show-provides"
    info = artifact_info()
    for key in (ROOTFS_IMAGE_VERSION, "artifact_name"):
        if info.get(key):
            return info[key], settings.get("GITFLEET_ARTIFACT_INFO")
    return None, "nowhere"
