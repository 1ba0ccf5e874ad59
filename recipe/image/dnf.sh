#!/bin/bash
# DNF helpers shared by the image, derived and snapshot recipes. Sourced for its functions, or
# run as `dnf.sh <command>` (see docs/contracts.md). Runs inside a Fedora image, as root.
set -euo pipefail

# dnf4 is Python: keep it from writing bytecode caches into the image.
export PYTHONDONTWRITEBYTECODE=1
export LC_ALL=C

die() {
  echo "fedora-base recipe: $*" >&2
  exit 1
}

# Fedora 41 and later ship dnf5; older releases dnf4. Detect instead of trusting the release
# number, and refuse a dnf this recipe was not written for.
dnf_major() {
  local v
  # Known already: asking dnf costs more than the whole transaction of a small update.
  if [ -n "${FEDORA_BASE_DNF_MAJOR:-}" ]; then
    echo "$FEDORA_BASE_DNF_MAJOR"
    return
  fi
  if command -v dnf5 >/dev/null 2>&1; then
    echo 5
    return
  fi
  command -v dnf >/dev/null 2>&1 || die "no dnf in the image (need dnf 4 or 5)"
  v=$(dnf --version 2>/dev/null | head -n 1)
  case "$v" in
    4.*) echo 4 ;;
    *) die "unknown dnf version '$v' (this recipe knows dnf 4 and dnf 5)" ;;
  esac
}

# The system metadata cache: dnf5 ignores dnf4's `cachedir` (C21).
cache_dir() {
  case "$1" in
    4) echo /var/cache/dnf ;;
    5) echo /var/cache/libdnf5 ;;
    *) die "unknown dnf major version '$1'" ;;
  esac
}

check_release() {
  local want=$1 id="" version=""
  if [ -r /etc/os-release ]; then
    id=$(. /etc/os-release && echo "${ID:-}")
    version=$(. /etc/os-release && echo "${VERSION_ID:-}")
  fi
  if [ "$id" = fedora ] && [ "$version" != "$want" ]; then
    die "the base image is Fedora $version but the release is $want"
  fi
}

# Sets key=value in the [main] section of an ini file, replacing an existing value.
set_main_option() {
  local file=$1 key=$2 value=$3 tmp
  tmp=$(mktemp)
  [ -f "$file" ] || printf '[main]\n' >"$file"
  awk -v key="$key" -v value="$value" '
    function emit() { if (!done) { print key "=" value; done = 1 } }
    /^\[/ { if (section == "main") emit(); section = substr($0, 2, index($0, "]") - 2) }
    section == "main" && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" { emit(); next }
    { print }
    END { if (section == "main") emit(); else if (!done) { print "[main]"; emit() } }
  ' "$file" >"$tmp"
  cat "$tmp" >"$file"
  rm -f "$tmp"
}

# Points repo `id` at a fixed baseurl: a metalink or mirrorlist would let dnf pick a random
# mirror and record it in the cache.
pin_repo() {
  local id=$1 url=$2 file tmp found=""
  for file in /etc/yum.repos.d/*.repo; do
    [ -f "$file" ] || continue
    grep -qxF "[$id]" "$file" || continue
    found=$file
    tmp=$(mktemp)
    awk -v id="$id" -v url="$url" '
      /^\[/ { section = substr($0, 2, index($0, "]") - 2); print;
              if (section == id) print "baseurl=" url; next }
      section == id && /^[[:space:]]*(baseurl|metalink|mirrorlist)[[:space:]]*=/ { next }
      { print }
    ' "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm -f "$tmp"
  done
  [ -n "$found" ] || die "mirror: no repo '$id' in /etc/yum.repos.d/*.repo"
}

# Makes dnf use the retained metadata for ever: never refresh on its own, never count the
# installation (countme cookies differ per build, C05).
configure_repos() {
  local entry file
  if [ -n "${FEDORA_BASE_REPOS:-}" ]; then
    IFS=';' read -r -a entries <<<"$FEDORA_BASE_REPOS"
    for entry in "${entries[@]}"; do
      pin_repo "${entry%%=*}" "${entry#*=}"
    done
  fi
  for file in /etc/yum.repos.d/*.repo; do
    [ -f "$file" ] || continue
    sed -i -e 's/^[[:space:]]*metadata_expire[[:space:]]*=/#&/' \
      -e 's/^[[:space:]]*countme[[:space:]]*=/#&/' "$file"
  done
  mkdir -p /etc/dnf
  set_main_option /etc/dnf/dnf.conf metadata_expire -1
  set_main_option /etc/dnf/dnf.conf check_config_file_age False
  set_main_option /etc/dnf/dnf.conf countme False
  set_main_option /etc/dnf/dnf.conf keepcache False
}

run_dnf() {
  local major=$1
  shift
  case "$major" in
    4) dnf -y "$@" ;;
    5) dnf5 -y "$@" ;;
    *) die "unknown dnf major version '$major'" ;;
  esac
}

check_snapshot() {
  local dir=$1 major=$2 made_for
  [ -d "$dir/cache" ] || die "the DNF metadata snapshot has no cache/ directory"
  if [ -f "$dir/info/dnf-major" ]; then
    made_for=$(cat "$dir/info/dnf-major")
    [ "$made_for" = "$major" ] ||
      die "the DNF metadata snapshot was made for dnf $made_for, the image has dnf $major"
  fi
}

import_cache() {
  local dir=$1 cache
  cache=$(cache_dir "$(dnf_major)")
  mkdir -p "$cache"
  cp -R --preserve=timestamps "$dir/cache/." "$cache/"
}

# Copies only the repository metadata: solver caches, packages, locks and bookkeeping files
# are per-run and would make equal metadata pack to different snapshots.
export_cache() {
  local dest=$1 major cache repo
  major=$(dnf_major)
  cache=$(cache_dir "$major")
  mkdir -p "$dest/cache" "$dest/info"
  echo "$major" >"$dest/info/dnf-major"
  for repo in "$cache"/*/; do
    [ -d "$repo/repodata" ] || continue
    repo=${repo%/}
    mkdir -p "$dest/cache/${repo##*/}"
    (cd "$repo" && find . -type f \
      ! -path './packages/*' ! -path './solv/*' ! -name '*.solv' ! -name '*.solvx' \
      ! -name '*.lock' ! -name '*.rpm' ! -name '*.tmp' \
      -exec cp --parents --preserve=timestamps {} "$dest/cache/${repo##*/}/" \;)
  done
  [ -n "$(ls -A "$dest/cache")" ] || die "no repository metadata in $cache"
}

sql_tool() {
  if command -v sqlite3 >/dev/null 2>&1; then
    echo sqlite3
  elif command -v python3 >/dev/null 2>&1 && python3 -c 'import sqlite3' 2>/dev/null; then
    echo python3
  fi
}

have_sql_tool() {
  [ -n "$(sql_tool)" ]
}

run_sql() {
  local db=$1 statements=$2
  case "$(sql_tool)" in
    sqlite3) sqlite3 "$db" "$statements" >/dev/null ;;
    python3)
      python3 - "$db" "$statements" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
for statement in sys.argv[2].split(";"):
    if statement.strip():
        con.execute(statement).fetchall()
con.close()
PY
      ;;
    *) die "neither sqlite3 nor python3 is in the image: cannot finalize $db" ;;
  esac
}

# The rpmdb is SQLite in WAL mode after a transaction; its -shm/-wal sidecars differ per build
# (C01). Checkpoint, switch to DELETE journal mode (rpm still opens it read-only for ordinary
# users), and ship neither sidecar.
finalize_rpmdb() {
  local dbpath db
  dbpath=$(rpm --eval '%{_dbpath}')
  db="$dbpath/rpmdb.sqlite"
  [ -f "$db" ] || return 0
  run_sql "$db" "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE"
  rm -f "$db-shm" "$db-wal"
}

# Copies the build context's files into the image. Written now, so their times are at or after
# the epoch and the exporter clamps them to it; modes fixed, whatever the checkout's umask.
install_recipe() {
  local from=$1 to=$2 file
  install -d -m 0755 "$to"
  for file in "$from"/*; do
    if [ -f "$file" ]; then install -m 0644 "$file" "$to/"; fi
  done
}

write_package_list() {
  mkdir -p /usr/share/fedora-base
  rpm -qa --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n' | sort \
    >/usr/share/fedora-base/packages.tsv
}

# Everything a dnf run leaves that differs between two runs of the same transaction, removed in
# the same RUN so that no whiteout layer follows (C08). The retained metadata stays untouched.
finalize_image() {
  local major=$1 cache
  cache=$(cache_dir "$major")
  find "$cache" \( -name '*.solv' -o -name '*.solvx' -o -name '*.lock' \) -type f -delete
  rm -rf "$cache"/*/packages "$cache"/*/solv
  rm -f "$cache"/expired_repos.json "$cache"/tempfiles.json "$cache"/last_makecache
  rm -f /var/lib/dnf/repos/*/countme
  # History databases carry wall-clock times and, in dnf4, unstable row order (C03). The
  # original pipeline removed them too; `dnf history` starts empty in derived images.
  rm -f /var/lib/dnf/history.sqlite* /usr/lib/sysimage/libdnf5/transaction_history.sqlite*
  rm -f /var/log/dnf.log* /var/log/dnf.librepo.log* /var/log/dnf.rpm.log* \
    /var/log/hawkey.log* /var/log/dnf5.log*
  # A baked-in machine id would be shared by every container (C05); empty means "generate".
  if [ -s /etc/machine-id ]; then : >/etc/machine-id; fi
  rm -f /var/lib/systemd/random-seed
  # inode and mtime data, rebuilt on demand (C07)
  rm -f /var/cache/ldconfig/aux-cache
  finalize_rpmdb
  write_package_list
}

main() {
  local command=${1:-}
  shift || true
  case "$command" in
    detect) dnf_major ;;
    cachedir) cache_dir "$(dnf_major)" ;;
    configure) configure_repos ;;
    makecache) run_dnf "$(dnf_major)" makecache --refresh ;;
    export-cache) export_cache "${1:?usage: dnf.sh export-cache DEST}" ;;
    import-cache) import_cache "${1:?usage: dnf.sh import-cache SRC}" ;;
    *) die "usage: dnf.sh detect|cachedir|configure|makecache|export-cache DEST|import-cache SRC" ;;
  esac
}

# Run as a command, not when sourced.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
