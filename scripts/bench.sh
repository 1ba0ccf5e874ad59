#!/usr/bin/env bash
# Prints, in one run, how long the local stand-in stack takes (seconds): cold and warm `up`, the
# no-op `preview` against the engine's floor (an empty Pulumi program), and one image build
# against the DNF transaction inside it. No assertions: figures only (scripts/bench/bench.ts).
# Needs the local services and the stand-in (scripts/services/start.sh, scripts/standin.sh up).
# It publishes the stand-in's update for its own stacks and resets the mirror when it ends, so
# run it alone, not beside the end-to-end tests.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
eval "$(scripts/services/env.sh)"
if [[ -z ${FEDORA_BASE_BUILDKIT_VERSION:-} ]]; then
  FEDORA_BASE_BUILDKIT_VERSION=$(docker buildx inspect --bootstrap "$FEDORA_BASE_BUILDER" |
    awk '/^[[:space:]]*Build[kK]it( version)?:/ {print $NF; exit}')
  export FEDORA_BASE_BUILDKIT_VERSION
fi
export PULUMI_NODEJS_TRANSPILE_ONLY=true
exec npx tsx scripts/bench/bench.ts "$@"
