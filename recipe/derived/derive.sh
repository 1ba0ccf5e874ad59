#!/bin/bash
# Installs extra packages from the metadata the base image retained, without refreshing it, then
# runs the derived image's own steps. Runs inside the image being built, as root.
set -euo pipefail

here=$(dirname "$0")
# shellcheck source-path=SCRIPTDIR source=../image/dnf.sh
. "$here/dnf.sh"

: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set (build argument)}"
: "${DERIVED_PACKAGES:?DERIVED_PACKAGES must be set (build argument)}"
: "${DERIVED_NAME:?DERIVED_NAME must be set (build argument)}"
export SOURCE_DATE_EPOCH

install_recipe "$here" "/usr/share/fedora-base/derived/$DERIVED_NAME"

major=$(dnf_major)
FEDORA_BASE_DNF_MAJOR=$major
read -r -a packages <<<"$DERIVED_PACKAGES"
run_dnf "$major" install "${packages[@]}"
if [ -s "$here/steps.sh" ]; then
  bash -euo pipefail "$here/steps.sh"
fi
finalize_image "$major"
