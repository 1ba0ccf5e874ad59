#!/bin/bash
# Applies the pinned updates to a Fedora base image. Runs inside the image being built, as root.
# Usage: build.sh SNAPSHOT_DIR   (the DNF metadata snapshot, bind-mounted)
set -euo pipefail

here=$(dirname "$0")
# shellcheck source-path=SCRIPTDIR source=dnf.sh
. "$here/dnf.sh"

snapshot=${1:?usage: build.sh SNAPSHOT_DIR}
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set (build argument)}"
: "${FEDORA_RELEASE:?FEDORA_RELEASE must be set (build argument)}"
export SOURCE_DATE_EPOCH

check_release "$FEDORA_RELEASE"
# The recipe travels inside the image, so a published image alone is enough to rebuild it.
install_recipe "$here" /usr/share/fedora-base/recipe
major=$(dnf_major)
FEDORA_BASE_DNF_MAJOR=$major
check_snapshot "$snapshot" "$major"
configure_repos
import_cache "$snapshot"

# Without a tool to take the rpmdb out of WAL mode, the image cannot be reproducible (C01).
packages=()
if ! have_sql_tool; then
  packages+=(sqlite)
fi
run_dnf "$major" upgrade
if [ "${#packages[@]}" -gt 0 ]; then
  run_dnf "$major" install "${packages[@]}"
fi

finalize_image "$major"
