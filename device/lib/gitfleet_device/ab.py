"""The A/B slots of the gitfleet-ab and gitfleet-delta update modules (Mender update module protocol v3).

Under GITFLEET_AB_ROOT (default /var/lib/gitfleet-ab) live two slots, `a` and `b`, and the symlink `active`
naming the running one. Each slot holds `rootfs/` (the extracted tarball, or the image file as shipped),
`image` (the OS image name) and, when the artifact ships one, `health-check`.

  ArtifactInstall       the module builds the inactive slot beside it (`.b.new`), then `install_staged` renames it
                        into place; nothing switches
  NeedsArtifactReboot   Yes: the client calls ArtifactReboot, which switches `active` without rebooting
  ArtifactReboot        switch `active` to the new slot
  ArtifactVerifyReboot  the new slot must still be active; run the health checks (failure: client rolls back)
  ArtifactCommit        (standalone `mender commit` has no reboot states: switch and check here if not done yet)
  ArtifactRollback      switch `active` back to the previous slot

Health checks: the artifact's `health-check` file, then GITFLEET_AB_HEALTH_DIR/* in lexical order, each run with
the new slot's directory as argument; any non-zero exit fails the update.
"""

import json
import os
import shutil
import sys

from . import fileops, hooks, log, settings
from .log import Failure

SLOTS = ("a", "b")
HEALTH_CHECK = "health-check"


def root() -> str:
    return settings.get("GITFLEET_AB_ROOT")


def slot_dir(slot: str) -> str:
    return os.path.join(root(), slot)


def active_slot() -> str:
    """The active slot; a device that never ran this module starts on slot a."""
    link = os.path.join(root(), "active")
    try:
        slot = os.readlink(link)
    except FileNotFoundError:
        os.makedirs(slot_dir("a"), exist_ok=True)
        fileops.atomic_symlink("a", link)
        return "a"
    except OSError as problem:
        raise Failure(f"{link} must be a symlink to a or b: {problem}") from None
    if slot not in SLOTS:
        raise Failure(f"{link} points to '{slot}', expected a or b")
    return slot


def switch_to(slot: str) -> None:
    fileops.atomic_symlink(slot, os.path.join(root(), "active"))
    log.info(f"active slot is now {slot} ({slot_image(slot) or 'unnamed image'})")


def slot_image(slot: str) -> str:
    try:
        with open(os.path.join(slot_dir(slot), "image"), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def pending_file() -> str:
    return os.path.join(root(), "pending.json")


def load_pending() -> dict | None:
    try:
        with open(pending_file(), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def save_pending(pending: dict) -> None:
    fileops.atomic_write(pending_file(), json.dumps(pending, sort_keys=True).encode())


def read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, json.JSONDecodeError):
        return {}


def image_name(tree: str) -> str:
    """rootfs-image.version from the payload's type-info, else the artifact name."""
    provides = read_json(os.path.join(tree, "header", "type-info")).get("artifact_provides") or {}
    if provides.get("rootfs-image.version"):
        return provides["rootfs-image.version"]
    try:
        with open(os.path.join(tree, "header", "artifact_name"), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        provides = read_json(os.path.join(tree, "header", "header-info")).get("artifact_provides") or {}
        return provides.get("artifact_name", "")


def remove_tree(path: str) -> None:
    if os.path.lexists(path):
        shutil.rmtree(path)


def payload_files(tree: str) -> tuple:
    """The payload's files directory and its sorted file names."""
    files_dir = os.path.join(tree, "files")
    return files_dir, (sorted(os.listdir(files_dir)) if os.path.isdir(files_dir) else [])


def prepare_staging() -> tuple:
    """(current slot, target slot, empty staging dir with rootfs/): where ArtifactInstall builds the new slot."""
    abandoned = load_pending()
    if abandoned and abandoned.get("switched") and active_slot() == abandoned["to"]:
        # An earlier update switched but never committed: go back to its known-good slot before overwriting.
        log.info(f"an uncommitted update of '{abandoned['image']}' is active: returning to slot {abandoned['from']}")
        switch_to(abandoned["from"])
    current = active_slot()
    target = "b" if current == "a" else "a"
    staging = os.path.join(root(), f".{target}.new")
    remove_tree(staging)
    os.makedirs(os.path.join(staging, "rootfs"))
    return current, target, staging


def copy_health_check(source: str, staging: str) -> None:
    shutil.copyfile(source, os.path.join(staging, HEALTH_CHECK))
    os.chmod(os.path.join(staging, HEALTH_CHECK), 0o755)


def install_staged(staging: str, current: str, target: str, name: str) -> None:
    """Moves a fully built staging dir into the inactive slot and records the pending update; nothing switches."""
    with open(os.path.join(staging, "image"), "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
    os.sync()
    remove_tree(slot_dir(target))
    os.rename(staging, slot_dir(target))
    fileops.fsync_directory(root())
    save_pending({"from": current, "to": target, "image": name, "switched": False, "verified": False})
    log.info(f"installed '{name}' into inactive slot {target} (slot {current} stays active until the switch)")


def require_pending(state: str) -> dict:
    pending = load_pending()
    if pending is None:
        raise Failure(f"{state}: no update in progress ({pending_file()} is missing)")
    return pending


def switch_to_new(pending: dict) -> None:
    switch_to(pending["to"])
    pending["switched"] = True
    save_pending(pending)


def health_check(pending: dict) -> None:
    slot = pending["to"]
    directory = slot_dir(slot)
    environment = dict(os.environ, GITFLEET_AB_ROOT=root(), GITFLEET_AB_SLOT=slot, GITFLEET_AB_SLOT_DIR=directory,
                       GITFLEET_AB_IMAGE=pending["image"])
    timeout = float(settings.get("GITFLEET_AB_HEALTH_TIMEOUT"))
    shipped = os.path.join(directory, HEALTH_CHECK)
    checks = ([shipped] if os.path.isfile(shipped) else []) + hooks.hook_files(settings.get("GITFLEET_AB_HEALTH_DIR"))
    failed, code, _ = hooks.run_each(checks, [directory], environment, timeout, reboot_code=False)
    if failed:
        raise Failure(f"health check {failed} failed for '{pending['image']}' (exit code {code}); rolling back to "
                      f"slot {pending['from']}")
    pending["verified"] = True
    save_pending(pending)
    log.info(f"'{pending['image']}' is healthy")


def artifact_reboot() -> None:
    switch_to_new(require_pending("ArtifactReboot"))


def artifact_verify_reboot() -> None:
    pending = require_pending("ArtifactVerifyReboot")
    current = active_slot()
    if current != pending["to"]:
        raise Failure(f"slot {current} is active after the switch, expected {pending['to']}")
    health_check(pending)


def artifact_commit() -> None:
    pending = require_pending("ArtifactCommit")
    if not pending["switched"]:
        switch_to_new(pending)
    if not pending["verified"]:
        health_check(pending)
    fileops.remove(pending_file())
    log.info(f"committed '{pending['image']}' in slot {pending['to']}")


def artifact_rollback() -> None:
    pending = load_pending()
    if pending is None:
        return
    if active_slot() != pending["from"]:
        switch_to(pending["from"])
    fileops.remove(pending_file())
    log.info(f"rolled back to slot {pending['from']}; '{pending['image']}' stays in slot {pending['to']} unused")


def cleanup() -> None:
    for slot in SLOTS:
        remove_tree(os.path.join(root(), f".{slot}.new"))


def run_module(artifact_install) -> int:
    """The update module protocol around an ArtifactInstall function taking the module's file tree."""
    if len(sys.argv) < 3:
        print(f"usage: {sys.argv[0]} STATE FILE-TREE", file=sys.stderr)
        return 2
    state, tree = sys.argv[1], sys.argv[2]
    actions = {
        "ArtifactInstall": lambda: artifact_install(tree),
        "ArtifactReboot": artifact_reboot,
        "ArtifactVerifyReboot": artifact_verify_reboot,
        "ArtifactCommit": artifact_commit,
        "ArtifactRollback": artifact_rollback,
        "Cleanup": cleanup,
    }
    if state in ("SupportsRollback", "NeedsArtifactReboot"):
        print("Yes")
    elif state in actions:
        os.makedirs(root(), exist_ok=True)
        actions[state]()
    return 0
