#!/usr/bin/env bash
# The stand-in Fedora for tests on machines that cannot reach Fedora: signed RPMs built from
# the spec files in test/standin/specs, createrepo_c repositories served over HTTP on
# 127.0.0.1, and a base image (Debian trixie userland with dnf4 and rpm, shaped like Fedora
# where the recipe cares) pushed to the local registry. See test/standin/README.md.
#
# Usage: scripts/standin.sh [COMMAND]
#   build              (default) make the cache for the current recipe if it is missing
#   up                 build; serve the mirror; push the base image; write <run>/standin.env
#   reset              put the served mirror back to its initial state (both repos)
#   publish-update     the updates repo gains hello 1.1 and its security advisory
#   unpublish-update   the updates repo goes back to its initial (empty) state
#   drop-package N-V   remove N-V (e.g. hello-1.0) from the served mirror, regenerate metadata
#   down               stop the mirror
#   status | hash | prune   show state | print the recipe hash | delete other recipes' caches
#
# Environment (all optional):
#   FEDORA_BASE_CACHE    cache root (default ~/.cache/fedora-base); ours is <root>/standin/<hash>
#   FEDORA_BASE_RUN      run folder for pid, log, mirror working copy, standin.env
#                        (default <repo>/.cache/run)
#   STANDIN_RELEASE      Fedora release to imitate (default 44); part of the cache key
#   STANDIN_MIRROR_PORT  loopback port of the mirror (default 8080); part of the cache key,
#                        because the release package's repo file names it
#   STANDIN_REGISTRY     registry for the base image (default: $FEDORA_BASE_REGISTRY from
#                        scripts/services/env.sh, else 127.0.0.1:5000)
#   STANDIN_DEBIAN_MIRROR  Debian archive for debootstrap (default http://deb.debian.org/debian)
#   BUILDKIT_HOST        BuildKit address; taken from scripts/services/env.sh when unset
set -euo pipefail

# Modes of everything we create must not depend on the caller's umask (002 vs 022): they end
# up in RPM payloads, the root filesystem and the image layer.
umask 022

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
STANDIN_SRC=$REPO_ROOT/test/standin
RELEASE=${STANDIN_RELEASE:-44}
PORT=${STANDIN_MIRROR_PORT:-8080}
DEBIAN_MIRROR=${STANDIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SUITE=trixie
# Only x86_64 is made; see the README for what an aarch64 stand-in would take.
ARCH=x86_64
PLATFORM=linux/amd64
# 2026-01-01T00:00:00Z. SOURCE_DATE_EPOCH of the base image and the revision of the repo
# metadata, so an unchanged cache always yields the same metadata bytes and image digest.
EPOCH=1767225600
UPDATE_REVISION=$((EPOCH + 86400))
HELLO_OLD=1.0
HELLO_NEW=1.1
KEY_UID='Fedora Stand-in throwaway signing key <standin@localhost>'
CACHE_ROOT=${FEDORA_BASE_CACHE:-$HOME/.cache/fedora-base}/standin
RUN_DIR=${FEDORA_BASE_RUN:-$REPO_ROOT/.cache/run}
STATE_DIR=$RUN_DIR/standin
MIRROR_DIR=$STATE_DIR/mirror
PID_FILE=$RUN_DIR/standin-mirror.pid
LOG_FILE=$RUN_DIR/standin-mirror.log
ENV_FILE=$RUN_DIR/standin.env
IMAGE_REPO=standin/fedora

log() { printf 'standin: %s\n' "$*" >&2; }
die() { printf 'standin: error: %s\n' "$*" >&2; exit 1; }

# Debian's python3; a pyenv shim may sit first on PATH and depends on the caller's directory.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3) || die "python3 is needed"

[[ $RELEASE =~ ^[0-9]+$ ]] || die "STANDIN_RELEASE must be a number, got \"$RELEASE\""
[[ $PORT =~ ^[0-9]+$ ]] || die "STANDIN_MIRROR_PORT must be a number, got \"$PORT\""

# The cache key covers what shapes the output: every file under test/standin except the README
# and the smoke test, this script, and the two settings baked into the packages. File contents
# and relative paths only (not modes or mtimes), so checkouts under any umask share a cache.
recipe_hash() {
  (
    cd "$REPO_ROOT"
    printf 'release=%s\nport=%s\narch=%s\n' "$RELEASE" "$PORT" "$ARCH"
    find test/standin scripts/standin.sh -type f ! -path test/standin/README.md \
      ! -path test/standin/smoke.sh -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-64
}

HASH=$(recipe_hash)
CACHE=$CACHE_ROOT/$HASH
PARTIAL=$CACHE_ROOT/$HASH.partial

# --- tools -----------------------------------------------------------------------------------

need_host_packages() {
  local missing=() cmd pkg
  for pair in rpmbuild:rpm rpmsign:rpm createrepo_c:createrepo-c modifyrepo_c:createrepo-c \
    debootstrap:debootstrap gpg:gnupg curl:curl; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "missing tools; install: ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      "${missing[@]}" >/dev/null; }
}

# buildctl and regctl come from the project's toolchain, BUILDKIT_HOST from the services' env.sh
# (which prints exports and builds the toolchain if its cache is missing). A BUILDKIT_HOST the
# caller set wins.
load_services_env() {
  local host=${BUILDKIT_HOST:-}
  if [[ -n $host ]] && command -v buildctl >/dev/null && command -v regctl >/dev/null; then
    :
  elif [[ -x $REPO_ROOT/scripts/services/env.sh ]]; then
    eval "$("$REPO_ROOT/scripts/services/env.sh")"
  elif [[ -x $REPO_ROOT/scripts/toolchain.sh ]]; then
    eval "$("$REPO_ROOT/scripts/toolchain.sh" env)"
  fi
  [[ -z $host ]] || BUILDKIT_HOST=$host
  REGISTRY=${STANDIN_REGISTRY:-${FEDORA_BASE_REGISTRY:-127.0.0.1:5000}}
}

# Runs a command inside the root filesystem with a clean environment, so nothing of the
# host (pyenv, locale, SOURCE_DATE_EPOCH) leaks into the stand-in.
in_root() {
  local root=$1
  shift
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    "$@"
}

# gpg runs in a short-lived home under /tmp: the cache path is too long for gpg-agent's socket.
GPG_HOME=
drop_gpg_home() {
  [[ -n $GPG_HOME ]] || return 0
  gpgconf --homedir "$GPG_HOME" --kill all 2>/dev/null || true
  rm -rf "$GPG_HOME"
  GPG_HOME=
}
trap drop_gpg_home EXIT

# --- build steps (each writes a temporary name, then renames: a rerun resumes after a crash) ---

step_key() {
  local out=$PARTIAL/key gh
  [[ -d $out ]] && return 0
  log "generating the throwaway signing key"
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp"
  GPG_HOME=$(mktemp -d /tmp/standin-gpg.XXXXXX)
  gh=$GPG_HOME
  gpg --homedir "$gh" --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "$KEY_UID" rsa3072 sign never 2>/dev/null
  gpg --homedir "$gh" --with-colons --list-secret-keys 2>/dev/null |
    awk -F: '$1 == "fpr" { print $10; exit }' >"$out.tmp/fingerprint"
  gpg --homedir "$gh" --armor --export >"$out.tmp/RPM-GPG-KEY-standin"
  gpg --homedir "$gh" --batch --armor --export-secret-keys >"$out.tmp/secret.asc"
  drop_gpg_home
  mv "$out.tmp" "$out"
}

# rpmbuild for one spec, with SOURCE_DATE_EPOCH removed on purpose: the stamped package must
# carry build-time file times.
rpmbuild_spec() {
  local top=$1 spec=$2
  shift 2
  env -u SOURCE_DATE_EPOCH rpmbuild --quiet -bb \
    --define "_topdir $top" \
    --define "dist .fc$RELEASE" \
    --define "_buildhost standin.localhost" \
    --define "standin_release $RELEASE" \
    --define "standin_port $PORT" \
    --define "standin_keyfile $PARTIAL/key/RPM-GPG-KEY-standin" \
    "$@" "$STANDIN_SRC/specs/$spec" >"$top/rpmbuild-$spec.log" 2>&1 ||
    { cat "$top/rpmbuild-$spec.log" >&2; die "rpmbuild of $spec failed"; }
}

step_rpms() {
  local out=$PARTIAL/rpms top gh db
  [[ -d $out ]] && return 0
  log "building and signing the RPMs"
  rm -rf "$out.tmp" "$PARTIAL/rpmbuild"
  top=$PARTIAL/rpmbuild
  mkdir -p "$top" "$out.tmp"
  rpmbuild_spec "$top" fedora-release-standin.spec
  rpmbuild_spec "$top" hello.spec --define "hello_version $HELLO_OLD"
  rpmbuild_spec "$top" hello.spec --define "hello_version $HELLO_NEW"
  rpmbuild_spec "$top" stamped.spec
  rpmbuild_spec "$top" extra-tool.spec
  find "$top/RPMS" -name '*.rpm' -exec mv -t "$out.tmp" {} +
  GPG_HOME=$(mktemp -d /tmp/standin-gpg.XXXXXX)
  gh=$GPG_HOME
  gpg --homedir "$gh" --batch --quiet --import "$PARTIAL/key/secret.asc" 2>/dev/null
  # Debian's rpm names /usr/bin/gpg2, which Debian no longer ships.
  rpmsign --addsign --define "_gpg_name $(cat "$PARTIAL/key/fingerprint")" \
    --define "_gpg_path $gh" --define "__gpg $(command -v gpg)" "$out.tmp"/*.rpm \
    >"$top/rpmsign.log" 2>&1 ||
    { cat "$top/rpmsign.log" >&2; die "rpmsign failed"; }
  drop_gpg_home
  # A private rpmdb holding only the throwaway key: rpm -K must pass with it.
  db=$PARTIAL/keydb
  rm -rf "$db"
  mkdir -p "$db"
  rpmkeys --dbpath "$db" --import "$PARTIAL/key/RPM-GPG-KEY-standin"
  rpmkeys --dbpath "$db" --checksig "$out.tmp"/*.rpm >"$top/checksig.log" ||
    { cat "$top/checksig.log" >&2; die "rpm -K failed"; }
  if grep -v ': digests signatures OK$' "$top/checksig.log" >&2; then
    die "a package is not signed with the throwaway key"
  fi
  rm -rf "$db" "$top"
  mv "$out.tmp" "$out"
}

# createrepo_c with a fixed revision and timestamps, and no sqlite databases (dnf does not read
# them and they are not byte-stable): the same packages always give the same metadata.
make_repo() {
  local dir=$1 revision=$2
  shift 2
  createrepo_c --quiet --no-database --revision "$revision" --set-timestamp-to-revision \
    --workers 1 "$@" "$dir"
}

# Adds an updateinfo.xml to a repository. modifyrepo_c stamps the record with the clock, so
# every timestamp in repomd.xml is pinned to the revision afterwards (repomd.xml is not signed).
add_advisory() {
  local dir=$1 xml=$2 revision=$3
  modifyrepo_c --mdtype=updateinfo "$xml" "$dir/repodata" >/dev/null
  sed -i "s:<timestamp>[0-9]*</timestamp>:<timestamp>$revision</timestamp>:" \
    "$dir/repodata/repomd.xml"
}

# Packages/<first letter>/ as on Fedora's mirrors.
add_packages() {
  local dir=$1 rpm base
  shift
  for rpm in "$@"; do
    base=$(basename "$rpm")
    mkdir -p "$dir/Packages/${base:0:1}"
    cp "$rpm" "$dir/Packages/${base:0:1}/"
    # primary.xml records each file's mtime: pin it, or the metadata changes per build.
    touch -d "@$EPOCH" "$dir/Packages/${base:0:1}/$base"
  done
}

step_mirror() {
  local out=$PARTIAL/mirror tmp fedora updates published info
  [[ -d $out ]] && return 0
  log "making the repositories"
  tmp=$out.tmp
  rm -rf "$tmp"
  fedora=$tmp/initial/fedora/$RELEASE/$ARCH
  updates=$tmp/initial/updates/$RELEASE/$ARCH
  published=$tmp/updates-published
  mkdir -p "$fedora" "$updates" "$published"
  add_packages "$fedora" "$PARTIAL"/rpms/fedora-release-standin-*.rpm \
    "$PARTIAL/rpms/hello-$HELLO_OLD-"*.rpm "$PARTIAL"/rpms/stamped-*.rpm \
    "$PARTIAL"/rpms/extra-tool-*.rpm
  make_repo "$fedora" "$EPOCH"
  make_repo "$updates" "$EPOCH"
  cp "$PARTIAL/key/RPM-GPG-KEY-standin" "$tmp/initial/"
  # The updates repo after publish-update: hello 1.1 plus its advisory.
  add_packages "$published" "$PARTIAL/rpms/hello-$HELLO_NEW-"*.rpm
  make_repo "$published" "$UPDATE_REVISION"
  info=$tmp/updateinfo.xml
  sed -e "s/@RELEASE@/$RELEASE/g" -e "s/@HELLO_OLD@/$HELLO_OLD/g" \
    -e "s/@HELLO_NEW@/$HELLO_NEW/g" \
    -e "s/@ISSUED@/$(date -u -d "@$UPDATE_REVISION" '+%Y-%m-%d %H:%M:%S')/g" \
    "$STANDIN_SRC/updateinfo.xml.in" >"$info"
  add_advisory "$published" "$info" "$UPDATE_REVISION"
  rm "$info"
  # Regenerating with --keep-all-metadata must keep the advisory: check it once here.
  make_repo "$published" "$UPDATE_REVISION" --update --keep-all-metadata
  grep -q '<data type="updateinfo">' "$published/repodata/repomd.xml" ||
    die "the advisory did not survive createrepo_c --keep-all-metadata"
  mv "$tmp" "$out"
}

shape_rootfs() {
  local root=$1 rpms=()
  # Fedora's /bin/sh is bash; Debian's is dash. A local diversion keeps dpkg consistent.
  in_root "$root" dpkg-divert --quiet --local --no-rename --divert /usr/bin/sh.distrib \
    --add /usr/bin/sh
  ln -sfn dash "$root/usr/bin/sh.distrib"
  ln -sfn bash "$root/usr/bin/sh"
  # rpmdb where Fedora keeps it, /var/lib/rpm pointing there as on Fedora.
  mkdir -p "$root/etc/rpm" "$root/usr/lib/sysimage/rpm"
  printf '# Stand-in: rpmdb where Fedora keeps it.\n%%_dbpath /usr/lib/sysimage/rpm\n' \
    >"$root/etc/rpm/macros.dbpath"
  rm -rf "$root/var/lib/rpm"
  ln -s ../../usr/lib/sysimage/rpm "$root/var/lib/rpm"
  in_root "$root" rpm --initdb
  mkdir -p "$root/tmp/standin"
  cp "$PARTIAL/key/RPM-GPG-KEY-standin" "$PARTIAL/rpms/"*.rpm "$root/tmp/standin/"
  in_root "$root" rpm --import /tmp/standin/RPM-GPG-KEY-standin
  for f in "$root"/tmp/standin/{fedora-release-standin-*,"hello-$HELLO_OLD-"*,stamped-*}.rpm; do
    rpms+=("/tmp/standin/$(basename "$f")")
  done
  # Signature checked as Fedora's dnf would; install times from the image's epoch.
  in_root "$root" env SOURCE_DATE_EPOCH="$EPOCH" rpm -i --define '_pkgverify_level signature' \
    "${rpms[@]}"
  rm -rf "$root/tmp/standin"
}

# What differs between runs or only costs space: package manager caches and logs, host
# files debootstrap copied in, documentation (Fedora's images are nodocs too).
clean_rootfs() {
  local root=$1
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* \
    "$root"/var/cache/dnf/* "$root"/var/lib/dnf/* "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old "$root/var/cache/ldconfig/aux-cache" "$root"/tmp/* \
    "$root/etc/resolv.conf" "$root/etc/hostname" "$root"/usr/share/man/* \
    "$root"/usr/share/info/* "$root"/usr/share/locale/*
  mkdir -p "$root/var/lib/apt/lists/partial" "$root/var/cache/apt/archives/partial"
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
}

step_rootfs() {
  local out=$PARTIAL/context/rootfs.tar root=$PARTIAL/rootfs
  [[ -f $out || -f $PARTIAL/image.oci.tar ]] && return 0
  [[ $(id -u) == 0 ]] || die "making the root filesystem needs root (debootstrap, chroot)"
  log "debootstrap $DEBIAN_SUITE (minbase, dnf, rpm)"
  rm -rf "$root"
  mkdir -p "$CACHE_ROOT/debs" "$PARTIAL/context"
  # Debian's dnf package brings python3-dnf, libdnf, librepo and rpm's libraries; rpm brings
  # the rpm CLI. The .deb files are kept across recipe changes to save downloads.
  debootstrap --variant=minbase --include=dnf,rpm --cache-dir="$CACHE_ROOT/debs" \
    "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR" >"$PARTIAL/debootstrap.log" 2>&1 ||
    { tail -20 "$PARTIAL/debootstrap.log" >&2; die "debootstrap failed"; }
  shape_rootfs "$root"
  in_root "$root" sh -c 'dnf --version | head -1; rpm --version; rpm -qa | sort' \
    >"$PARTIAL/versions.txt"
  clean_rootfs "$root"
  # Canonical tarball: sorted names, numeric owners, no atime/ctime, times clamped to the
  # epoch. Device nodes, /proc and /sys stay empty: the container runtime provides them.
  tar --create --file "$out.tmp" --directory "$root" --sort=name --numeric-owner \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime="@$EPOCH" --clamp-mtime --exclude='./dev/*' --exclude='./proc/*' \
    --exclude='./sys/*' .
  rm -rf "$root"
  mv "$out.tmp" "$out"
}

step_image() {
  local out=$PARTIAL/image.oci.tar meta=$PARTIAL/image.metadata.json ctx=$PARTIAL/context output
  [[ -f $out ]] && return 0
  load_services_env
  command -v buildctl >/dev/null || die "buildctl not found (scripts/toolchain.sh)"
  [[ -n ${BUILDKIT_HOST:-} ]] ||
    die "BUILDKIT_HOST is not set and scripts/services/env.sh is missing"
  buildctl --addr "$BUILDKIT_HOST" debug workers >/dev/null 2>&1 ||
    die "BuildKit at $BUILDKIT_HOST does not answer; run scripts/services/start.sh"
  log "building the base image with BuildKit at $BUILDKIT_HOST"
  cp "$STANDIN_SRC/image/Dockerfile" "$ctx/Dockerfile"
  # Exporter options spelled out, so a BuildKit default changing cannot move the digest.
  output="type=oci,dest=$out.tmp,name=$IMAGE_REPO:$RELEASE,oci-mediatypes=true"
  output+=",compression=gzip,compression-level=6,force-compression=true,rewrite-timestamp=true"
  buildctl --addr "$BUILDKIT_HOST" build --frontend dockerfile.v0 \
    --local context="$ctx" --local dockerfile="$ctx" \
    --opt platform="$PLATFORM" --opt build-arg:SOURCE_DATE_EPOCH="$EPOCH" \
    --output "$output" \
    --metadata-file "$meta" >"$PARTIAL/buildctl.log" 2>&1 ||
    { tail -30 "$PARTIAL/buildctl.log" >&2; die "buildctl build failed"; }
  "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["containerimage.digest"])' \
    "$meta" >"$PARTIAL/image.digest"
  # buildctl creates the archive with mode 0666 whatever the umask.
  chmod 0644 "$out.tmp"
  mv "$out.tmp" "$out"
  # The archive is all that up needs; the root filesystem tarball would only take space.
  rm -rf "$ctx"
}

cmd_build() {
  [[ -f $CACHE/image.digest ]] && return 0
  need_host_packages
  mkdir -p "$CACHE_ROOT"
  exec 9>"$CACHE_ROOT/.lock"
  flock 9
  if [[ ! -f $CACHE/image.digest ]]; then
    local start=$SECONDS step t
    log "building the stand-in for recipe $HASH"
    # We hold the lock, so any other unfinished build is dead: drop its leftovers.
    find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -name '*.partial' ! -path "$PARTIAL" \
      -exec rm -rf {} +
    mkdir -p "$PARTIAL"
    for step in step_key step_rpms step_mirror step_rootfs step_image; do
      t=$SECONDS
      "$step"
      log "  ${step#step_}: $((SECONDS - t)) s"
    done
    rm -f "$PARTIAL/image.metadata.json"
    mv "$PARTIAL" "$CACHE"
    log "built in $((SECONDS - start)) s: $CACHE"
  fi
  exec 9>&-
}

# --- the served mirror ------------------------------------------------------------------------

# The mirror is served from a working copy under the run folder, so publish-update and
# drop-package can never alter the cache. It is replaced when the recipe changed, or on reset.
ensure_mirror_copy() {
  local force=${1:-}
  mkdir -p "$STATE_DIR"
  if [[ -z $force && -d $MIRROR_DIR &&
    $(cat "$STATE_DIR/mirror.hash" 2>/dev/null) == "$HASH" ]]; then
    return 0
  fi
  log "laying out the mirror working copy in $MIRROR_DIR"
  rm -rf "$MIRROR_DIR.new" "$MIRROR_DIR.old"
  cp -a "$CACHE/mirror/initial" "$MIRROR_DIR.new"
  [[ -d $MIRROR_DIR ]] && mv "$MIRROR_DIR" "$MIRROR_DIR.old"
  mv "$MIRROR_DIR.new" "$MIRROR_DIR"
  rm -rf "$MIRROR_DIR.old"
  echo initial >"$STATE_DIR/updates.state"
  echo "$HASH" >"$STATE_DIR/mirror.hash"
}

mirror_pid() {
  local pid
  pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must be our server, on our port and folder.
  tr '\0' ' ' <"/proc/$pid/cmdline" |
    grep -qF -- "http.server $PORT --bind 127.0.0.1 --directory $MIRROR_DIR" || return 1
  echo "$pid"
}

mirror_ready() {
  curl -fsS -o /dev/null --max-time 2 \
    "http://127.0.0.1:$PORT/fedora/$RELEASE/$ARCH/repodata/repomd.xml"
}

start_mirror() {
  local pid deadline
  if pid=$(mirror_pid); then
    mirror_ready || die "mirror process $pid runs but does not answer on port $PORT"
    return 0
  fi
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
    die "port $PORT is taken by another program; set STANDIN_MIRROR_PORT"
  fi
  log "starting the mirror on http://127.0.0.1:$PORT (log: $LOG_FILE)"
  mkdir -p "$RUN_DIR"
  setsid "$PY" -m http.server "$PORT" --bind 127.0.0.1 --directory "$MIRROR_DIR" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  deadline=$((SECONDS + 30))
  until mirror_ready 2>/dev/null; do
    mirror_pid >/dev/null || { tail -5 "$LOG_FILE" >&2; die "the mirror exited"; }
    ((SECONDS < deadline)) || die "the mirror did not answer within 30 s"
    sleep 0.1
  done
}

cmd_down() {
  local pid deadline
  if ! pid=$(mirror_pid); then
    rm -f "$PID_FILE"
    log "mirror not running"
    return 0
  fi
  kill "$pid"
  deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || die "mirror $pid did not stop within 15 s"
    sleep 0.1
  done
  rm -f "$PID_FILE"
  log "mirror stopped"
}

# --- the registry -----------------------------------------------------------------------------

# Pushes the cached OCI archive as it is, so the registry holds exactly the recorded digest.
push_image() {
  local ref want have
  load_services_env
  ref=$REGISTRY/$IMAGE_REPO:$RELEASE
  want=$(cat "$CACHE/image.digest")
  command -v regctl >/dev/null || die "regctl not found (scripts/toolchain.sh)"
  have=$(regctl image digest "$ref" 2>/dev/null) || have=
  if [[ $have != "$want" ]]; then
    log "pushing $ref"
    regctl image import "$ref" "$CACHE/image.oci.tar" >/dev/null
    have=$(regctl image digest "$ref")
    [[ $have == "$want" ]] || die "pushed $ref has digest $have, expected $want"
  fi
}

write_env() {
  local tmp=$ENV_FILE.tmp url=http://127.0.0.1:$PORT
  mkdir -p "$RUN_DIR"
  cat >"$tmp" <<EOF
# Written by scripts/standin.sh up; recipe $HASH
STANDIN_RELEASE=$RELEASE
STANDIN_ARCH=$ARCH
STANDIN_EPOCH=$EPOCH
STANDIN_BASE_IMAGE=$REGISTRY/$IMAGE_REPO:$RELEASE@$(cat "$CACHE/image.digest")
STANDIN_MIRROR_URL=$url
STANDIN_FEDORA_BASEURL=$url/fedora/$RELEASE/$ARCH/
STANDIN_UPDATES_BASEURL=$url/updates/$RELEASE/$ARCH/
STANDIN_GPGKEY_URL=$url/RPM-GPG-KEY-standin
STANDIN_GPGKEY_FILE=$CACHE/key/RPM-GPG-KEY-standin
STANDIN_MIRROR_DIR=$MIRROR_DIR
EOF
  if cmp -s "$tmp" "$ENV_FILE"; then
    rm "$tmp"
  else
    mv "$tmp" "$ENV_FILE"
    log "wrote $ENV_FILE"
  fi
}

cmd_up() {
  cmd_build
  ensure_mirror_copy
  start_mirror
  push_image
  write_env
}

# --- changing what the mirror serves ----------------------------------------------------------

# Replaces the updates repository with one of the cached states. The swap is two renames, so
# a request in between may fail: tests change the mirror between builds, not during one.
set_updates() {
  local state=$1 src dest=$MIRROR_DIR/updates/$RELEASE/$ARCH
  cmd_build
  ensure_mirror_copy
  if [[ $(cat "$STATE_DIR/updates.state") == "$state" ]]; then
    log "updates repo already $state"
    return 0
  fi
  case $state in
    initial) src=$CACHE/mirror/initial/updates/$RELEASE/$ARCH ;;
    published) src=$CACHE/mirror/updates-published ;;
  esac
  rm -rf "$dest.new" "$dest.old"
  cp -a "$src" "$dest.new"
  mv "$dest" "$dest.old"
  mv "$dest.new" "$dest"
  rm -rf "$dest.old"
  echo "$state" >"$STATE_DIR/updates.state"
  log "updates repo is now $state"
}

cmd_drop_package() {
  local nv=${1:-} files=() f repo revision info
  [[ $nv =~ ^[A-Za-z0-9._+-]+-[0-9][A-Za-z0-9._+~^]*$ ]] ||
    die "drop-package wants NAME-VERSION (e.g. hello-1.0), got \"$nv\""
  cmd_build
  ensure_mirror_copy
  shopt -s nullglob
  files=("$MIRROR_DIR"/*/"$RELEASE/$ARCH"/Packages/*/"$nv"-*.rpm)
  shopt -u nullglob
  if ((${#files[@]} == 0)); then
    log "$nv is not in the mirror; nothing to do"
    return 0
  fi
  for f in "${files[@]}"; do
    repo=${f%/Packages/*}
    rm "$f"
    # One more than the current revision: deterministic, and dnf sees new metadata.
    revision=$(sed -n 's:.*<revision>\([0-9]*\)</revision>.*:\1:p' "$repo/repodata/repomd.xml")
    revision=$((revision + 1))
    info=
    if grep -q '<data type="updateinfo">' "$repo/repodata/repomd.xml"; then
      info=$STATE_DIR/updateinfo.xml
      zcat "$repo"/repodata/*-updateinfo.xml.gz >"$info"
    fi
    make_repo "$repo" "$revision" --update --keep-all-metadata
    # createrepo_c 0.17 drops the extra metadata of a repository it leaves empty, despite
    # --keep-all-metadata; the advisory goes back in then.
    if [[ -n $info ]]; then
      grep -q '<data type="updateinfo">' "$repo/repodata/repomd.xml" ||
        add_advisory "$repo" "$info" "$revision"
      rm "$info"
    fi
    [[ $repo == "$MIRROR_DIR/updates/"* ]] && echo modified >"$STATE_DIR/updates.state"
    log "dropped $(basename "$f") from ${repo#"$MIRROR_DIR"/}"
  done
}

# Removes the caches of other recipes (other checkouts may still want theirs: they rebuild).
cmd_prune() {
  find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -type d ! -name debs ! -name "$HASH" \
    -exec rm -rf {} +
}

cmd_status() {
  local pid
  echo "recipe:  $HASH"
  if [[ -f $CACHE/image.digest ]]; then
    echo "cache:   $CACHE (image $(cat "$CACHE/image.digest"))"
  else
    echo "cache:   not built"
  fi
  if pid=$(mirror_pid); then
    echo "mirror:  running, pid $pid, http://127.0.0.1:$PORT," \
      "updates $(cat "$STATE_DIR/updates.state" 2>/dev/null)"
  else
    echo "mirror:  stopped"
  fi
}

case ${1:-build} in
  build) cmd_build ;;
  up) cmd_up ;;
  reset)
    cmd_build
    ensure_mirror_copy force
    ;;
  publish-update) set_updates published ;;
  unpublish-update) set_updates initial ;;
  drop-package) cmd_drop_package "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  prune) cmd_prune ;;
  hash) echo "$HASH" ;;
  *) die "unknown command \"$1\" (build, up, reset, publish-update, unpublish-update," \
    "drop-package, down, status, prune, hash)" ;;
esac
