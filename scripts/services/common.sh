# Shared by start.sh, stop.sh and env.sh (sourced, not run). Every path and port the local
# services use is decided here, so the three scripts cannot disagree.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

services_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$services_dir/../.." && pwd)

run=${FEDORA_BASE_RUN:-$repo/.cache/run}
buildkit_root=${FEDORA_BASE_BUILDKIT_ROOT:-$run/buildkit}
buildkit_sock=$run/buildkitd.sock
buildkit_addr=unix://$buildkit_sock
registry_port=${FEDORA_BASE_REGISTRY_PORT:-5000}
registry_listen=127.0.0.1:$registry_port
# The registry is addressed by a name that /etc/hosts maps to 127.0.0.1, not by the IP:
# `buildx imagetools` (the docker-build provider's Index) speaks plain HTTP to any loopback IP
# and the remote driver takes no registry config, while the provider's registry client speaks
# only HTTPS. A name is neither loopback to the one nor plain to the other. start.sh adds the
# /etc/hosts line (as root); without it everything falls back to 127.0.0.1.
registry_host=${FEDORA_BASE_REGISTRY_HOST:-registry.fedora-base.test}
if getent ahostsv4 "$registry_host" 2>/dev/null | grep -q '^127\.0\.0\.1 '; then
  registry_addr=$registry_host:$registry_port
else
  registry_addr=$registry_listen
fi
builder_name=${FEDORA_BASE_BUILDER:-fedora-base-local}
state_dir=$run/state
regctl_config=$run/regctl.json
# The registry speaks TLS with a certificate from a CA made for this run folder: the
# docker-build provider's registry client (Index, refresh) has no plain-HTTP mode.
tls_dir=$run/tls
ca_cert=$tls_dir/ca.pem
ca_bundle=$tls_dir/ca-bundle.pem
# Local state only: a fixed passphrase keeps secrets readable across runs and machines.
default_passphrase=fedora-base-local
# Seconds each service may take to answer before start.sh gives up.
ready_timeout=${FEDORA_BASE_READY_TIMEOUT:-60}

svc_log() { printf 'services: %s\n' "$*" >&2; }
svc_die() { svc_log "error: $*"; exit 1; }

# A pid file holds "PID EXECUTABLE". pid_alive PIDFILE [EXE]: that pid still runs that
# executable (a stale file may name a pid since given to another program), and, when EXE is
# given, it is EXE or a byte-identical copy (the toolchain builds reproducibly, so a new
# toolchain folder often holds the very same daemon, which need not restart).
pid_alive() {
  local pid exe real
  [[ -f $1 ]] || return 1
  read -r pid exe <"$1" || true
  [[ $pid =~ ^[0-9]+$ && -n $exe ]] || return 1
  real=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ ${real% (deleted)} == "$exe" ]] || return 1
  [[ -z ${2:-} || $exe == "$(readlink -f "$2")" ]] || cmp -s "/proc/$pid/exe" "$2"
}

pid_of() { local pid _; read -r pid _ <"$1"; echo "$pid"; }

# wait_until DESCRIPTION LOGFILE PIDFILE COMMAND...: polls COMMAND until it succeeds, failing
# early when the process died and late when the deadline passed.
wait_until() {
  local what=$1 logfile=$2 pidfile=$3 deadline=$((SECONDS + ready_timeout))
  shift 3
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$pidfile"; then
      tail -n 20 "$logfile" >&2 || true
      svc_die "$what exited before it was ready; see $logfile"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$logfile" >&2 || true
      svc_die "$what not ready after ${ready_timeout}s; see $logfile"
    fi
    sleep 0.2
  done
}

# stop_pid NAME PIDFILE: TERM, then KILL if it has not gone within the deadline.
stop_pid() {
  local name=$1 pidfile=$2 pid deadline
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    return 0
  fi
  pid=$(pid_of "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 30))
  while pid_alive "$pidfile"; do
    if ((SECONDS >= deadline)); then
      svc_log "$name (pid $pid) ignored TERM for 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
  svc_log "$name stopped"
}
