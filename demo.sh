#!/usr/bin/env bash
# The README's first command: installs what is missing, then runs Gitfleet's demo on its embedded defaults.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$root/scripts/prerequisites.sh"
exec "$root/gitfleet" demo "$@"
