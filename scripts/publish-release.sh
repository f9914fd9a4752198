#!/usr/bin/env bash
# Publishes gitfleet for production use, e.g. the CI job's `gitfleet plan` (issue 13): self-contained, the app and
# the .NET and ASP.NET Core frameworks precompiled together into one ReadyToRun composite image, so the generic
# instantiations over Gitfleet's types, System.Text.Json's metadata and the async and LINQ code the framework-dependent
# build leaves to the JIT are precompiled too, and with tiered compilation off, so the precompiled code is not
# re-compiled at run time (the server, simulator and demo switch it back on: src/Gitfleet.Cli/RuntimeProfile.cs).
# Takes several minutes of CPU and about 160 MiB, which is why `./gitfleet` (the build the tests, demo and benches use)
# does not. Run it as `OUT/gitfleet ...` (or `dotnet OUT/gitfleet.dll ...`); it needs no installed runtime.
# Figures: docs/benchmarks.md, Planning. Usage: scripts/publish-release.sh [OUT=.gitfleet/release]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/.gitfleet/release}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Its own bin and obj (--artifacts-path): the composite's intermediate files must not meet `./gitfleet`'s.
dotnet publish "$root/src/Gitfleet.Cli/Gitfleet.Cli.csproj" -c Release -r linux-x64 --self-contained true \
  -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -p:TieredCompilation=false \
  --artifacts-path "$root/.gitfleet/release-build" -o "$out" -nologo -v quiet -clp:"ErrorsOnly;NoSummary"
echo "$out/gitfleet"
