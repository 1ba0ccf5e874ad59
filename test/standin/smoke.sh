#!/usr/bin/env bash
# Smoke test of the stand-in Fedora: BuildKit builds FROM the base image by digest, with host
# networking so dnf inside reaches the mirror on 127.0.0.1, and checks that dnf4 and rpm behave
# as the recipe expects. It also records facts the recipe depends on (cache layout, history
# database, install times under SOURCE_DATE_EPOCH, rpmdb WAL files) in <run>/standin-smoke/.
#
# Needs the local services (scripts/services/start.sh). Leaves the mirror running, with the
# updates repo back in its initial state. Prints "N passed, N failed" last.
set -euo pipefail
umask 022

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
STANDIN=$REPO_ROOT/scripts/standin.sh
if [[ -z ${BUILDKIT_HOST:-} ]] || ! command -v buildctl >/dev/null; then
  eval "$("$REPO_ROOT/scripts/services/env.sh")"
fi
RUN_DIR=${FEDORA_BASE_RUN:-$REPO_ROOT/.cache/run}
WORK=$RUN_DIR/standin-smoke
# The install-time probe: a fixed epoch far from both the stand-in's epoch and the clock.
PROBE_EPOCH=1700000000

passed=0 failed=0
check() {
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    printf 'ok      %s\n' "$what"
  else
    failed=$((failed + 1))
    printf 'FAILED  %s\n' "$what"
  fi
}

"$STANDIN" up
# shellcheck disable=SC1091
source "$RUN_DIR/standin.env"
"$STANDIN" unpublish-update
trap '"$STANDIN" unpublish-update' EXIT
rm -rf "$WORK"
mkdir -p "$WORK"

# Runs a probe script (stdin) in a fresh build FROM the base image; its /out lands in
# $WORK/<name>. --no-cache: the mirror changes between probes, and each must really run.
probe() {
  local name=$1 ctx
  ctx=$WORK/$name.ctx
  mkdir -p "$ctx"
  cat >"$ctx/probe.sh"
  cat >"$ctx/Dockerfile" <<'EOF'
ARG BASE
FROM ${BASE} AS probe
ARG PROBE_EPOCH
COPY probe.sh /probe.sh
RUN bash /probe.sh
FROM scratch
COPY --from=probe /out/ /
EOF
  buildctl --addr "$BUILDKIT_HOST" build --frontend dockerfile.v0 --no-cache \
    --local context="$ctx" --local dockerfile="$ctx" \
    --opt build-arg:BASE="$STANDIN_BASE_IMAGE" --opt build-arg:PROBE_EPOCH="$PROBE_EPOCH" \
    --opt force-network-mode=host --allow network.host \
    --output "type=local,dest=$WORK/$name" >"$WORK/$name.log" 2>&1 ||
    { tail -30 "$WORK/$name.log" >&2; echo "probe $name failed to build" >&2; exit 1; }
}

# Before publish-update: versions, layout, makecache, an upgrade that changes nothing, and
# an install under SOURCE_DATE_EPOCH, through dnf and through rpm alone.
initial_probe() {
  probe "$1" <<'EOF'
set -uo pipefail
mkdir -p /out
tree() { find "$@" -printf '%M %s %p\n' 2>/dev/null | sort -k3; }
dnf --version | head -1 >/out/dnf-version
rpm --version >/out/rpm-version
readlink -f /bin/sh >/out/sh
rpm --eval '%_dbpath' >/out/dbpath
python3 -c 'import sqlite3; print(sqlite3.sqlite_version)' >/out/sqlite3 2>&1
rpm -qa | sort >/out/rpm-qa
tree /var/cache/dnf /var/lib/dnf /var/log /usr/lib/sysimage/rpm >/out/tree-0-base
dnf -y makecache >/out/makecache.log 2>&1; echo $? >/out/makecache.rc
tree /var/cache/dnf /var/lib/dnf /var/log /usr/lib/sysimage/rpm >/out/tree-1-makecache
dnf -y upgrade >/out/upgrade.log 2>&1; echo $? >/out/upgrade.rc
rpm -q hello >/out/hello
dnf check-update --security >/out/check-update.log 2>&1; echo $? >/out/check-update.rc
SOURCE_DATE_EPOCH=$PROBE_EPOCH dnf -y install extra-tool >/out/install.log 2>&1
rpm -q --qf '%{INSTALLTIME} %{INSTALLTID}\n' extra-tool >/out/installtime-dnf
tree /var/cache/dnf /var/lib/dnf /var/log /usr/lib/sysimage/rpm >/out/tree-2-install
# rpm alone, no dnf: reinstall a package from the mirror with SOURCE_DATE_EPOCH.
python3 - <<'PY'
import configparser, urllib.request
c = configparser.ConfigParser(interpolation=None)
c.read('/etc/yum.repos.d/fedora.repo')
url = c['fedora']['baseurl'].replace('$releasever', '44').replace('$basearch', 'x86_64')
urllib.request.urlretrieve(url + 'Packages/s/stamped-1.0-1.fc44.x86_64.rpm', '/tmp/s.rpm')
PY
SOURCE_DATE_EPOCH=$PROBE_EPOCH rpm --reinstall /tmp/s.rpm >/out/rpm-reinstall.log 2>&1
rpm -q --qf '%{INSTALLTIME} %{INSTALLTID}\n' stamped >/out/installtime-rpm
ls -a /usr/lib/sysimage/rpm >/out/rpmdb-files
find / -xdev \( -name 'history.sqlite*' -o -name '*.countme' -o -name 'countme*' \) \
  2>/dev/null | sort >/out/history-and-countme
python3 - >/out/history-trans 2>&1 <<'PY'
import sqlite3
db = sqlite3.connect('file:/var/lib/dnf/history.sqlite?mode=ro', uri=True)
for row in db.execute('select id, dt_begin, dt_end, cmdline from trans order by id'):
    print(*row)
print('journal_mode', db.execute('pragma journal_mode').fetchone()[0])
PY
EOF
}

initial_probe initial-a
initial_probe initial-b
"$STANDIN" publish-update
probe published <<'EOF'
set -uo pipefail
mkdir -p /out
tree() { find "$@" -printf '%M %s %p\n' 2>/dev/null | sort -k3; }
dnf -y makecache >/out/makecache.log 2>&1; echo $? >/out/makecache.rc
tree /var/cache/dnf >/out/tree-1-makecache
dnf check-update --security >/out/check-update.log 2>&1; echo $? >/out/check-update.rc
dnf updateinfo list >/out/updateinfo-list 2>&1
dnf updateinfo info FEDORA-STANDIN-2026-0001 >/out/updateinfo-info 2>&1
tree /var/cache/dnf >/out/tree-2-updateinfo
dnf -y upgrade >/out/upgrade.log 2>&1
rpm -q hello >/out/hello
EOF
"$STANDIN" unpublish-update

a=$WORK/initial-a b=$WORK/initial-b p=$WORK/published
rel=$STANDIN_RELEASE
check "dnf makecache succeeds" grep -qx 0 "$a/makecache.rc"
check "dnf upgrade succeeds before publish-update" grep -qx 0 "$a/upgrade.rc"
check "dnf upgrade changes nothing before publish-update" grep -q 'Nothing to do' "$a/upgrade.log"
check "hello is 1.0 before publish-update" grep -qx "hello-1.0-1.fc$rel.noarch" "$a/hello"
check "check-update --security exits 0 before publish-update" grep -qx 0 "$a/check-update.rc"
check "/bin/sh is bash" grep -qx /usr/bin/bash "$a/sh"
check "rpmdb is at /usr/lib/sysimage/rpm" grep -qx /usr/lib/sysimage/rpm "$a/dbpath"
check "python3 imports sqlite3" grep -qE '^[0-9]+\.[0-9]+' "$a/sqlite3"
check "release package is installed" grep -q "^fedora-release-standin-$rel-" "$a/rpm-qa"
check "extra-tool installs from the fedora repo" grep -qE '^[0-9]+ [0-9]+$' "$a/installtime-dnf"
check "extra-tool install time is equal in two builds" cmp -s "$a/installtime-dnf" \
  "$b/installtime-dnf"
check "dnf install takes INSTALLTIME from SOURCE_DATE_EPOCH" \
  grep -qx "$PROBE_EPOCH $PROBE_EPOCH" "$a/installtime-dnf"
check "rpm alone takes INSTALLTIME from SOURCE_DATE_EPOCH" \
  grep -qx "$PROBE_EPOCH $PROBE_EPOCH" "$a/installtime-rpm"
check "makecache succeeds after publish-update" grep -qx 0 "$p/makecache.rc"
check "check-update --security exits 100 after publish-update" grep -qx 100 "$p/check-update.rc"
check "updateinfo list shows the advisory" grep -q 'FEDORA-STANDIN-2026-0001' \
  "$p/updateinfo-list"
check "the advisory is security, Important" grep -q 'Important/Sec' "$p/updateinfo-list"
check "dnf upgrade brings hello 1.1" grep -qx "hello-1.1-1.fc$rel.noarch" "$p/hello"

facts=$WORK/facts.txt
{
  echo "base image: $STANDIN_BASE_IMAGE"
  echo "dnf: $(cat "$a/dnf-version")"
  echo "rpm: $(cat "$a/rpm-version")"
  echo "python3 sqlite3: $(cat "$a/sqlite3")"
  echo "SOURCE_DATE_EPOCH=$PROBE_EPOCH; INSTALLTIME INSTALLTID via dnf:" \
    "$(cat "$a/installtime-dnf") / $(cat "$b/installtime-dnf")"
  echo "SOURCE_DATE_EPOCH=$PROBE_EPOCH; INSTALLTIME INSTALLTID via rpm:" \
    "$(cat "$a/installtime-rpm") / $(cat "$b/installtime-rpm")"
  echo "rpmdb files after the transactions: $(tr '\n' ' ' <"$a/rpmdb-files")"
  echo "history databases and countme files: $(tr '\n' ' ' <"$a/history-and-countme")"
  echo "history trans rows (id dt_begin dt_end cmdline):"
  sed 's/^/  /' "$a/history-trans"
  echo "layout after makecache (mode size path):"
  sed 's/^/  /' "$a/tree-1-makecache"
  echo "layout after install:"
  sed 's/^/  /' "$a/tree-2-install"
  echo "dnf cache after makecache, after publish-update:"
  sed 's/^/  /' "$p/tree-1-makecache"
  echo "dnf cache after check-update --security and updateinfo:"
  sed 's/^/  /' "$p/tree-2-updateinfo"
  echo "updateinfo list after publish-update:"
  sed 's/^/  /' "$p/updateinfo-list"
} >"$facts"
echo "facts: $facts"
echo "$passed passed, $failed failed"
((failed == 0))
