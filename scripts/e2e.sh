#!/usr/bin/env bash
# Runs the end-to-end tests through the real Pulumi engine, real BuildKit and the stand-in Fedora:
# builds the pinned toolchain (cached), starts the local services and the stand-in mirror, runs
# the suites, and stops what it started. Extra arguments go to mocha (e.g. --grep).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

scripts/toolchain.sh
eval "$(scripts/services/env.sh)"
if [[ ${FEDORA_BASE_KEEP_SERVICES:-0} != 1 ]]; then
  trap 'scripts/standin.sh down || true; scripts/services/stop.sh || true' EXIT
fi
scripts/services/start.sh
# Again: on a fresh machine the registry's CA bundle exists only now (SSL_CERT_FILE).
eval "$(scripts/services/env.sh)"
scripts/standin.sh up

# The version the builder reports is what the stack declares: the test stacks are set up right.
FEDORA_BASE_BUILDKIT_VERSION=$(docker buildx inspect --bootstrap "$FEDORA_BASE_BUILDER" |
  awk '/^[[:space:]]*Build[kK]it( version)?:/ {print $NF; exit}')
export FEDORA_BASE_BUILDKIT_VERSION
# tsc runs separately in the unit job; the engine need not type-check on every run.
export PULUMI_NODEJS_TRANSPILE_ONLY=true

npx mocha --config .mocharc.e2e.yaml "$@"
