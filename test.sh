#!/usr/bin/env bash
# The README's second command: installs what is missing, builds everything, runs every test.
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Planner]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
./scripts/prerequisites.sh

echo "== build"
dotnet build Gitfleet.slnx -c Release -nologo -v quiet -clp:"ErrorsOnly;Summary"

echo "== device scripts"
if [ -x device/test.sh ]; then device/test.sh; fi

echo "== tests"
results="$root/artifacts/test-results"
rm -rf "$results"
# Test projects run one after another (2-core machines); tests inside a project run in parallel.
status=0
for project in tests/*.Tests/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  echo "-- $name"
  if ! dotnet test "$project" -c Release --no-build -nologo \
      --logger "console;verbosity=minimal" --logger "trx;LogFileName=$name.trx" \
      --results-directory "$results" "$@"; then
    status=1
  fi
done
# A focused part of the server suite again on a real PostgreSQL 15 (the harness starts it) instead of SQLite: the
# classes marked Store=postgres (tests/Gitfleet.Server.Tests/Support/PostgresSubset.cs). The store suite runs on
# both engines in full above. GITFLEET_TEST_STORE=postgres without the filter runs the whole server suite there.
echo "-- Gitfleet.Server.Tests on PostgreSQL (Store=postgres)"
if ! GITFLEET_TEST_STORE=postgres dotnet test tests/Gitfleet.Server.Tests/Gitfleet.Server.Tests.csproj -c Release --no-build -nologo \
    --filter "Store=postgres" \
    --logger "console;verbosity=minimal" --logger "trx;LogFileName=Gitfleet.Server.Tests.Postgres.trx" \
    --results-directory "$results" "$@"; then
  status=1
fi
if [ $status -ne 0 ]; then echo "== FAILED (details in $results)"; else echo "== all tests passed"; fi
exit $status
