#!/usr/bin/env bash
# Prints the exports a shell needs to use the toolchain and the local services:
#   eval "$(scripts/services/env.sh)"
# SSL_CERT_FILE (system CAs plus the run folder's CA) lets every Go client (Pulumi's
# providers, regctl, buildx) trust the local registry.
# It starts nothing (scripts/services/start.sh does); it builds the toolchain only if its
# cache is missing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

q() { printf '%q' "$1"; }
"$repo/scripts/toolchain.sh" env
cat <<OUT
export FEDORA_BASE_RUN=$(q "$run")
export PULUMI_BACKEND_URL=$(q "file://$state_dir")
export PULUMI_CONFIG_PASSPHRASE=$(q "${PULUMI_CONFIG_PASSPHRASE:-$default_passphrase}")
export BUILDKIT_HOST=$(q "$buildkit_addr")
export FEDORA_BASE_BUILDER=$(q "$builder_name")
export FEDORA_BASE_REGISTRY=$(q "$registry_addr")
export REGCTL_CONFIG=$(q "$regctl_config")
export FEDORA_BASE_REGISTRY_CA=$(q "$ca_cert")
OUT
# Before start.sh has made the bundle, pointing SSL_CERT_FILE at it would break all TLS.
if [[ -f $ca_bundle ]]; then
  printf 'export SSL_CERT_FILE=%s\n' "$(q "$ca_bundle")"
fi
