#!/usr/bin/env bash
# Stops what scripts/services/start.sh started (by pid file), in reverse order. Running it
# when nothing runs is fine. Data (registry content, BuildKit cache, Pulumi state) stays in
# the run folder; delete that folder to start from nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ -d $run ]] || exit 0
stop_pid buildkitd "$run/buildkitd.pid"
stop_pid registry "$run/registry.pid"
rm -f "$buildkit_sock"
