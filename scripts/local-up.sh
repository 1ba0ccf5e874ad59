#!/usr/bin/env bash
# The main job: the local stack end to end. Builds the pinned toolchain (cached), starts BuildKit
# and a registry on this machine, pins base images by digest and takes DNF metadata snapshots
# where the stack has none, runs `pulumi up`, then proves that a preview is a no-op.
#
#   scripts/local-up.sh                        # stack "local": real Fedora (needs internet)
#   FEDORA_BASE_STANDIN=1 scripts/local-up.sh  # stack "standin": a Fedora stand-in made here
#
# scripts/services/stop.sh (and scripts/standin.sh down) stop what it started.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

say() { printf '==> %s\n' "$*" >&2; }
# Creates the stack if needed without selecting it: every command here names it with --stack.
ensure_stack() {
  pulumi stack ls --json | grep -q "\"name\": \"$1\"" ||
    pulumi stack init "$1" --no-select >/dev/null
}

say "toolchain"
scripts/toolchain.sh
eval "$(scripts/services/env.sh)"
say "local services"
scripts/services/start.sh
# Again: on a fresh machine the registry's CA bundle exists only now (SSL_CERT_FILE).
eval "$(scripts/services/env.sh)"
[[ -d node_modules ]] || npm ci --no-audit --no-fund

if [[ ${FEDORA_BASE_STANDIN:-0} == 1 ]]; then
  stack=${FEDORA_BASE_STACK:-standin}
  say "stand-in Fedora"
  scripts/standin.sh up
  # shellcheck disable=SC1091 # written by standin.sh up
  source "$FEDORA_BASE_RUN/standin.env"
  version=$(docker buildx inspect --bootstrap "$FEDORA_BASE_BUILDER" |
    awk '/^[[:space:]]*Build[kK]it( version)?:/ {print $NF; exit}')
  ensure_stack "$stack"
  set_config() { pulumi config set --stack "$stack" --path "fedora-base:$1" "$2"; }
  set_config registry "$FEDORA_BASE_REGISTRY/fedora-base"
  set_config 'architectures[0]' "$STANDIN_ARCH"
  set_config builder.name "$FEDORA_BASE_BUILDER"
  set_config builder.buildkitVersion "$version"
  set_config builder.network host
  set_config mirror.fedora "$STANDIN_MIRROR_URL/fedora/\$releasever/\$basearch/"
  set_config mirror.updates "$STANDIN_MIRROR_URL/updates/\$releasever/\$basearch/"
  set_config "releases[\"$STANDIN_RELEASE\"].baseImage" "$STANDIN_BASE_IMAGE"
else
  stack=${FEDORA_BASE_STACK:-local}
  ensure_stack "$stack"
fi

# Releases and their base images, as `release<TAB>baseImage<TAB>epoch` lines.
# shellcheck disable=SC2016 # JavaScript, not shell
releases=$(pulumi config get --stack "$stack" fedora-base:releases --json |
  node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const r = c.objectValue ?? JSON.parse(c.value);
    for (const [k, v] of Object.entries(r)) console.log(`${k}\t${v.baseImage ?? ""}\t${v.epoch ?? ""}`);')
while IFS=$'\t' read -r release base epoch; do
  [[ -n $release ]] || continue
  if [[ $base != *@sha256:* ]]; then
    # Resolved once, then always used by digest (an index digest: every architecture).
    say "pinning $base"
    digest=$(regctl image digest "$base")
    pulumi config set --stack "$stack" --path "fedora-base:releases[\"$release\"].baseImage" \
      "$base@$digest"
  fi
  if [[ -z $epoch ]]; then
    say "DNF metadata snapshot for release $release"
    npx tsx cli/main.ts snapshot new --stack "$stack" --release "$release"
  fi
done <<<"$releases"

export PULUMI_NODEJS_TRANSPILE_ONLY=true
say "pulumi up ($stack)"
pulumi up --stack "$stack" --yes --skip-preview
say "pulumi preview --expect-no-changes ($stack)"
pulumi preview --stack "$stack" --expect-no-changes
say "done: images of stack $stack are in $FEDORA_BASE_REGISTRY; outputs: pulumi stack output"
