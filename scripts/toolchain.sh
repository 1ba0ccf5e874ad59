#!/usr/bin/env bash
# Builds the pinned toolchain (tools/*/go.mod) from the Go module proxy into a cache outside
# the checkout, keyed by a hash of the pins and of this recipe.
#
#   scripts/toolchain.sh            build what is missing; progress on stderr only
#   scripts/toolchain.sh env        build if needed, then print exports for `eval`
#   scripts/toolchain.sh versions   build if needed, then print what each tool reports
#   scripts/toolchain.sh dir|hash   print the cache folder or the pin hash (builds nothing)
#   scripts/toolchain.sh prune      remove other toolchains of the cache that nothing runs
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$repo/tools
cache_root=${FEDORA_BASE_CACHE:-$HOME/.cache/fedora-base}/toolchain

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 builds the toolchain)"

# The recipe, one tool per record (a trailing backslash continues a record):
#   binary | wrapper module under tools/ | Go module that carries the version
#   | main package | variable that receives the version ("-": none)
# "~" stands for the Go module. Versions are read from the wrapper's go.mod, so go.mod stays
# the one place that pins.
recipe() {
  cat <<'EOF'
pulumi|pulumi|github.com/pulumi/pulumi/pkg/v3|~/cmd/pulumi|\
github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
pulumi-resource-docker-build|docker-build|github.com/pulumi/pulumi-docker-build|\
~/provider/cmd/pulumi-resource-docker-build|~/provider.Version
buildkitd|buildkit|github.com/moby/buildkit|~/cmd/buildkitd|~/version.Version
buildctl|buildkit|github.com/moby/buildkit|~/cmd/buildctl|~/version.Version
docker-buildx|buildx|github.com/docker/buildx|~/cmd/buildx|~/version.Version
regctl|regclient|github.com/regclient/regclient|~/cmd/regctl|~/internal/version.vcsTag
diffoci|diffoci|github.com/reproducible-containers/diffoci|~/cmd/diffoci|\
~/cmd/diffoci/version.Version
pulumi-language-nodejs|nodejs-host|github.com/pulumi/pulumi/sdk/v3|fedora-base/tools/nodejs-host|\
main.Version
EOF
}

# Reads recipe records into the named variables, joining continued lines.
# shellcheck disable=SC2162 # backslash-newline joining is the point
read_recipe() { IFS='|' read "$@"; }

# Provider plugins installed into the Pulumi home: binary | plugin name | version module.
plugins() {
  cat <<'EOF'
pulumi-resource-docker-build|docker-build|github.com/pulumi/pulumi-docker-build
EOF
}

# Version of module $2 as required by tools/$1/go.mod (awk: no go invocation on warm runs).
pinned() {
  awk -v m="$2" '($1 == m && $2 ~ /^v/) || ($1 == "require" && $2 == m) {
    print ($1 == "require" ? $3 : $2); exit }' "$tools/$1/go.mod"
}

# Provider plugins stay off PATH: the engine would prefer a plugin found on PATH over the one
# installed in PULUMI_HOME, and warn about it on every run.
bin_path() {
  case $1 in
    pulumi-resource-*) echo "$dir/libexec/$1" ;;
    *) echo "$bin/$1" ;;
  esac
}

# What a binary should report: Pulumi plugins use versions without the leading "v".
want_version() {
  local name=$1 v=$2
  case $name in
    pulumi-resource-*) echo "${v#v}" ;;
    *) echo "$v" ;;
  esac
}

pin_hash() {
  {
    go env GOVERSION GOOS GOARCH
    local f
    for f in recipe plugins bin_path build_one; do
      sed -n "/^$f()/,/^}/p" "${BASH_SOURCE[0]}"
    done
    cd "$repo"
    find tools -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 \
      | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
}

hash=$(pin_hash)
dir=$cache_root/$hash
bin=$dir/bin

# The command each tool answers with its version (first line is enough to compare).
version_cmd() {
  case $1 in
    pulumi) echo "version" ;;
    buildkitd|buildctl|diffoci) echo "--version" ;;
    docker-buildx) echo "version" ;;
    regctl) echo "version --format {{.VCSTag}}" ;;
    *) echo "" ;;
  esac
}

# A tool already on PATH whose reported version contains the pin. Our own cache folders are
# skipped: an older toolchain's binary would vanish with `prune`.
from_path() {
  local name=$1 want=$2 args found out search
  args=$(version_cmd "$name")
  [[ -n $args ]] || return 1
  search=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v "^$cache_root/" | paste -sd:) || true
  found=$(PATH=$search command -v "$name" 2>/dev/null) || return 1
  # shellcheck disable=SC2086 # args is a fixed word list from version_cmd
  out=$("$found" $args </dev/null 2>/dev/null | head -n1) || return 1
  [[ " $out " == *" $want "* || $out == "$want" ]] || return 1
  printf '%s\n' "$found"
}

build_one() {
  local name=$1 mod=$2 vmod=$3 pkg=${4/#\~/$3} var=${5/#\~/$3} v ldflags tmp out
  out=$(bin_path "$name")
  v=$(pinned "$mod" "$vmod")
  [[ -n $v ]] || die "tools/$mod/go.mod does not require $vmod"
  ldflags="-s -w -buildid="
  [[ $var == - ]] || ldflags+=" -X $var=$(want_version "$name" "$v")"
  # CGO off: static binaries that run on any glibc and build without a C toolchain.
  mkdir -p "$(dirname "$out")"
  tmp=$(mktemp "$out.XXXXXX")
  # go prints a line per module it downloads; keep stderr for the errors of a failed build.
  if ! CGO_ENABLED=0 GOFLAGS=-mod=readonly go -C "$tools/$mod" build -buildvcs=false \
    -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg" </dev/null 2>"$tmp.log"; then
    grep -v '^go: downloading ' "$tmp.log" >&2 || true
    rm -f "$tmp" "$tmp.log"
    return 1
  fi
  rm -f "$tmp.log"
  mv -f "$tmp" "$out"
}

# Every binary is there (a tool linked from PATH may have gone since).
all_present() {
  local name mod vmod pkg var
  [[ -f $dir/complete ]] || return 1
  while read_recipe name mod vmod pkg var; do
    [[ -x $(bin_path "$name") ]] || return 1
  done < <(recipe)
}

ensure_built() {
  all_present && { dynamic_provider_shim; return 0; }
  mkdir -p "$bin"
  # Callers running at once (CI steps, two shells) wait for one build instead of racing it.
  exec 9>"$dir/.lock"
  if ! flock -n 9; then
    log "another toolchain build of $hash is running; waiting for it"
    flock 9
  fi
  all_present && return 0
  rm -f "$dir/complete"
  local start=$SECONDS name mod pkg vmod var v t found
  while read_recipe name mod vmod pkg var; do
    [[ -x $(bin_path "$name") ]] && continue
    v=$(want_version "$name" "$(pinned "$mod" "$vmod")")
    if found=$(from_path "$name" "$v"); then
      ln -sfn "$(readlink -f "$found")" "$(bin_path "$name")"
      log "$name $v: using $found"
      continue
    fi
    t=$SECONDS
    log "$name $v: building from tools/$mod ..."
    build_one "$name" "$mod" "$vmod" "$pkg" "$var"
    log "$name $v: built in $((SECONDS - t)) s"
  done < <(recipe)
  install_plugins
  docker_config
  dynamic_provider_shim
  touch "$dir/complete"
  log "toolchain $hash ready in $((SECONDS - start)) s: $dir"
}

tool_dir() {
  local name mod vmod pkg var
  while read_recipe name mod vmod pkg var; do
    [[ $name == "$1" ]] && { echo "$mod"; return; }
  done < <(recipe)
}

install_plugins() {
  local file name vmod v
  mkdir -p "$dir/pulumi-home"
  while IFS='|' read -r file name vmod; do
    v=$(want_version "$file" "$(pinned "$(tool_dir "$file")" "$vmod")")
    [[ -d $dir/pulumi-home/plugins/resource-$name-v$v ]] && continue
    PULUMI_HOME=$dir/pulumi-home PULUMI_SKIP_UPDATE_CHECK=true \
      "$bin/pulumi" plugin install resource "$name" "$v" --file "$(bin_path "$file")" >&2
    log "plugin resource $name $v installed"
  done < <(plugins)
}

# Pulumi's releases ship this launcher next to the CLI: the engine starts it to host the
# program's dynamic providers (fedora-base's registry tags), from the program's own SDK.
dynamic_provider_shim() {
  local shim=$bin/pulumi-resource-pulumi-nodejs
  [[ -x $shim ]] && return 0
  mkdir -p "$bin"
  printf '%s\n' '#!/bin/sh' \
    'exec node ./node_modules/@pulumi/pulumi/cmd/dynamic-provider "$@"' >"$shim.tmp"
  chmod 0755 "$shim.tmp"
  mv "$shim.tmp" "$shim"
}

# docker finds CLI plugins only under $DOCKER_CONFIG/cli-plugins.
docker_config() {
  mkdir -p "$dir/docker-config/cli-plugins"
  ln -sfn "$bin/docker-buildx" "$dir/docker-config/cli-plugins/docker-buildx"
  [[ -f $dir/docker-config/config.json ]] || printf '{}\n' >"$dir/docker-config/config.json"
}

print_env() {
  q() { printf '%q' "$1"; }
  cat <<EOF
export FEDORA_BASE_TOOLS_BIN=$(q "$bin")
export PATH=$(q "$bin"):\$PATH
export PULUMI_HOME=$(q "$dir/pulumi-home")
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export DOCKER_CONFIG=$(q "$dir/docker-config")
export BUILDX_CONFIG=$(q "$repo/.buildx")
EOF
}

print_versions() {
  local name mod pkg vmod var
  while read_recipe name mod vmod pkg var; do
    case $name in
      pulumi-resource-*)
        printf '%-30s %s\n' "$name" \
          "$(PULUMI_HOME=$dir/pulumi-home "$bin/pulumi" plugin ls 2>/dev/null \
            | awk -v n="${name#pulumi-resource-}" '$1 == n && $2 == "resource" {print $3}')"
        ;;
      pulumi-language-nodejs)
        printf '%-30s %s\n' "$name" "$("$bin/$name" -version 2>&1 | head -n1)" ;;
      *)
        # shellcheck disable=SC2046 # fixed word list
        printf '%-30s %s\n' "$name" "$("$bin/$name" $(version_cmd "$name") 2>&1 | head -n1)" ;;
    esac
  done < <(recipe)
  printf '%-30s %s\n' "docker buildx" \
    "$(DOCKER_CONFIG=$dir/docker-config docker buildx version 2>&1 | head -n1)"
}

# Each pin change leaves a folder of ~0.5 GB behind; a running daemon may still use one.
prune() {
  local other used
  used=$(find /proc -maxdepth 2 -name exe -exec readlink {} + 2>/dev/null || true)
  for other in "$cache_root"/*/; do
    other=${other%/}
    [[ $other == "$dir" || ! -d $other ]] && continue
    if grep -qF "$other/" <<<"$used"; then
      log "keeping $other: a running process uses it"
      continue
    fi
    rm -rf "$other"
    log "removed $other"
  done
}

case ${1:-build} in
  # ensure_built stands alone: inside an && list, errexit would not stop a failed build.
  build) ensure_built ;;
  env) ensure_built; print_env ;;
  versions) ensure_built; print_versions ;;
  dir) printf '%s\n' "$dir" ;;
  hash) printf '%s\n' "$hash" ;;
  prune) prune ;;
  *) die "unknown command: $1 (use: build, env, versions, dir, hash, prune)" ;;
esac
