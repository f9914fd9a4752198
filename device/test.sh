#!/usr/bin/env bash
# Quick static checks of the device scripts (the behaviour is tested by tests/Gitfleet.Device.Tests):
# every Python script compiles, every shell script parses.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
python_files=(lib/gitfleet_device/*.py modules/* hooks/* inventory/*)
/usr/bin/python3 - "${python_files[@]}" <<'PY'
import sys
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        compile(handle.read(), path, "exec")
PY
for script in tools/gitfleet-make-os-artifact build-deb.sh install.sh test.sh; do bash -n "$script"; done
echo "device scripts: ${#python_files[@]} Python files compile, shell scripts parse"
