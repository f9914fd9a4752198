"""Every path and program the device scripts use, each overridable by an environment variable so tests (and
unusual devices) can run the scripts without touching the real system. docs/device.md lists them."""

import os

DEFAULTS = {
    # mender-configure: the applied configuration, its hooks, the reported-checksum marker.
    "GITFLEET_CONFIG_FILE": "/var/lib/mender-configure/device-config.json",
    "GITFLEET_HOOKS_DIR": "/usr/lib/mender-configure/apply-device-config.d",
    "GITFLEET_REPORTED_CHECKSUM_FILE": "",  # empty: <config dir>/device-config-reported.sha256
    # How the running OS image is found: `mender show-provides`, then artifact_info.
    "GITFLEET_MENDER": "mender",
    "GITFLEET_MENDER_DATA": "",  # empty: mender's default (/var/lib/mender), or derived from the module's file tree
    "GITFLEET_MENDER_CONF": "",  # empty: mender's default (/etc/mender/mender.conf)
    "GITFLEET_ARTIFACT_INFO": "/etc/mender/artifact_info",
    # Gitfleet's own state (playbook results) and the playbook hook.
    "GITFLEET_STATE_DIR": "/var/lib/gitfleet-device",
    "GITFLEET_PLAYBOOK_CACHE": "/var/cache/gitfleet/playbooks",
    "GITFLEET_PLAYBOOK_PACKAGES_DIR": "/usr/share/gitfleet-playbooks",
    "GITFLEET_GIT": "git",
    "GITFLEET_ANSIBLE_PLAYBOOK": "ansible-playbook",
    "GITFLEET_ANSIBLE_GALAXY": "ansible-galaxy",
    "GITFLEET_APT_GET": "apt-get",
    "GITFLEET_DPKG_QUERY": "dpkg-query",
    # The gitfleet-ab OS update module.
    "GITFLEET_AB_ROOT": "/var/lib/gitfleet-ab",
    "GITFLEET_AB_HEALTH_DIR": "/etc/gitfleet-ab/health-check.d",
    "GITFLEET_AB_HEALTH_TIMEOUT": "300",
    # The gitfleet-delta OS update module: the xdelta3 program and its source window when decoding (bytes of the
    # base image held in memory at once; the rest is read again from the slot as needed).
    "GITFLEET_XDELTA3": "xdelta3",
    "GITFLEET_DELTA_SOURCE_WINDOW": "67108864",
    "GITFLEET_MODULES_DIR": "/usr/share/mender/modules/v3",
    # Reporting the applied configuration (mender-inventory-mender-configure).
    "GITFLEET_DBUS_SEND": "dbus-send",
    "GITFLEET_CURL": "curl",
    "GITFLEET_TOKEN_WAIT_SECONDS": "5",
    # Inventory: filesystems whose usage is reported, as name=path pairs.
    "GITFLEET_DISKS": "root=/,data=/data",
}


def get(name: str) -> str:
    if name not in DEFAULTS:
        raise KeyError(f"unknown setting {name}")
    value = os.environ.get(name)
    return value if value else DEFAULTS[name]


def reported_checksum_file() -> str:
    explicit = get("GITFLEET_REPORTED_CHECKSUM_FILE")
    if explicit:
        return explicit
    return os.path.join(os.path.dirname(get("GITFLEET_CONFIG_FILE")), "device-config-reported.sha256")
