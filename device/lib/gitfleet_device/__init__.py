"""Shared helpers for Gitfleet's device-side scripts (update modules, hooks, inventory scripts).

Installed to /usr/lib/python3/dist-packages/gitfleet_device; the scripts import it from there. Tests run the
scripts from the source tree with PYTHONPATH=device/lib.
"""

VERSION = "0.1.0"
