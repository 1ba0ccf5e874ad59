#!/usr/bin/env bash
# Starts the local services the engine runs against, each only if it is not running yet:
#   - buildkitd (pinned toolchain, OCI worker on Debian's runc) on unix://$run/buildkitd.sock
#   - the buildx builder "fedora-base-local" (driver remote) pointing at that socket
#   - an OCI registry (Debian's docker-registry) on 127.0.0.1:$FEDORA_BASE_REGISTRY_PORT, named
#     registry.fedora-base.test in /etc/hosts, speaking TLS with a certificate from a CA made
#     for the run folder ($run/tls/ca.pem); see common.sh for why a name and TLS
#   - a file-based Pulumi state backend in $run/state
# No Docker daemon: the docker-build provider works with the remote builder alone.
# Logs and pid files live in the run folder ($FEDORA_BASE_RUN, default .cache/run).
# `eval "$(scripts/services/env.sh)"` gives a shell the matching environment.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# apt_need COMMAND PACKAGE: Debian packages are ours to install only when we are root.
apt_need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [[ $(id -u) == 0 ]] || svc_die "$1 is missing: apt-get install $2 (as root)"
  svc_log "installing Debian package $2"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  fi
  command -v "$1" >/dev/null 2>&1 || svc_die "$2 installed but $1 is still not on PATH"
}

# spawn PIDFILE LOGFILE COMMAND...: runs COMMAND detached from this shell's session so that
# it outlives the script; the pid recorded is the daemon's own (setsid execs in place).
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  printf '\n=== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  printf '%s %s\n' "$!" "$(readlink -f "$1")" >"$pidfile"
}

# running NAME PIDFILE EXE CONF TEXT: true when EXE already runs from PIDFILE with TEXT as
# its config file CONF. A daemon started from another executable (an older toolchain) or
# another config is stopped, and TEXT written, so that the caller starts the wanted one.
running() {
  local name=$1 pidfile=$2 exe=$3 conf=$4 text=$5
  if pid_alive "$pidfile" "$exe" && [[ -f $conf && $(<"$conf") == "$text" ]]; then
    svc_log "$name already running (pid $(pid_of "$pidfile"))"
    return 0
  fi
  if pid_alive "$pidfile"; then
    svc_log "$name runs another binary or config; restarting it"
    stop_pid "$name" "$pidfile"
  fi
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$text" >"$conf"
  return 1
}

https_ok() { curl -fs -o /dev/null --max-time 2 --cacert "$ca_cert" "$1"; }

# A CA and a server certificate for 127.0.0.1, made once per run folder. Clients trust the CA
# through SSL_CERT_FILE (env.sh), buildkitd through its config.
ensure_tls() {
  local k
  apt_need openssl openssl
  mkdir -p "$tls_dir"
  if ! openssl verify -CAfile "$ca_cert" "$tls_dir/registry.pem" >/dev/null 2>&1 \
    || ! openssl x509 -in "$tls_dir/registry.pem" -noout -checkhost "$registry_host" \
      | grep -q 'does match'; then
    svc_log "making a local CA and a certificate for $registry_host in $tls_dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=fedora-base local CA" -keyout "$tls_dir/ca.key" -out "$ca_cert" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
      2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$tls_dir/registry.key" -out "$tls_dir/registry.csr" 2>/dev/null
    openssl x509 -req -in "$tls_dir/registry.csr" -CA "$ca_cert" -CAkey "$tls_dir/ca.key" \
      -CAcreateserial -days 825 -out "$tls_dir/registry.pem" -extfile <(printf '%s\n' \
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:$registry_host" \
        "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth") 2>/dev/null
  fi
  for k in "$tls_dir"/*.key; do chmod 600 "$k"; done
  # SSL_CERT_FILE replaces the system roots for Go programs, so the bundle carries both.
  cat /etc/ssl/certs/ca-certificates.crt "$ca_cert" >"$ca_bundle.tmp" 2>/dev/null \
    || cp "$ca_cert" "$ca_bundle.tmp"
  mv -f "$ca_bundle.tmp" "$ca_bundle"
}

start_registry() {
  local exe text pidfile=$run/registry.pid logfile=$run/registry.log
  local conf=$run/registry/config.yml
  apt_need docker-registry docker-registry
  exe=$(command -v docker-registry)
  mkdir -p "$run/registry/data"
  # Deletion is on so that a test of "nothing was deleted" can fail for real.
  # The digest line makes a new certificate count as a config change (restart).
  text=$(cat <<EOF
# certificate sha256 $(sha256sum <"$tls_dir/registry.pem" | cut -c1-64)
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $run/registry/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $registry_listen
  tls:
    certificate: $tls_dir/registry.pem
    key: $tls_dir/registry.key
  headers:
    X-Content-Type-Options: [nosniff]
EOF
)
  running registry "$pidfile" "$exe" "$conf" "$text" && return 0
  if curl -ks -o /dev/null --max-time 2 "https://$registry_listen/v2/" \
    || curl -s -o /dev/null --max-time 2 "http://$registry_listen/v2/"; then
    svc_die "something else already answers on $registry_listen; stop it or set" \
      "FEDORA_BASE_REGISTRY_PORT"
  fi
  spawn "$pidfile" "$logfile" "$exe" serve "$conf"
  wait_until "registry" "$logfile" "$pidfile" https_ok "https://$registry_listen/v2/"
  svc_log "registry ready on $registry_addr, listening on $registry_listen" \
    "(pid $(pid_of "$pidfile"))"
}

# regctl gets the CA in its own config file (REGCTL_CONFIG, exported by env.sh), not in the
# user's ~/.regctl, so that it trusts the registry even without SSL_CERT_FILE.
configure_regctl() {
  local r
  for r in "$registry_addr" "$registry_listen"; do
    REGCTL_CONFIG=$regctl_config "$FEDORA_BASE_TOOLS_BIN/regctl" registry set --tls enabled \
      --cacert "$(cat "$ca_cert")" "$r" >/dev/null
  done
}

ensure_hosts_entry() {
  [[ $registry_addr == "$registry_listen" ]] || return 0
  if [[ $(id -u) != 0 ]]; then
    svc_log "warning: $registry_host is not in /etc/hosts; using $registry_listen, where" \
      "the docker-build provider's Index cannot work (add '127.0.0.1 $registry_host')"
    return 0
  fi
  printf '127.0.0.1 %s\n' "$registry_host" >>/etc/hosts
  registry_addr=$registry_host:$registry_port
  svc_log "added '127.0.0.1 $registry_host' to /etc/hosts"
}

start_buildkitd() {
  local exe runc text pidfile=$run/buildkitd.pid logfile=$run/buildkitd.log
  local conf=$run/buildkitd.toml
  apt_need runc runc
  exe=$FEDORA_BASE_TOOLS_BIN/buildkitd
  runc=$(command -v runc)
  text=$(cat <<EOF
# CA sha256 $(sha256sum <"$ca_cert" | cut -c1-64)
root = "$buildkit_root"
# Build steps reach the local mirror and registry on 127.0.0.1 only with host networking.
insecure-entitlements = ["network.host"]

[grpc]
  address = ["$buildkit_addr"]

[worker.oci]
  enabled = true
  binary = "$runc"

[worker.containerd]
  enabled = false

[registry."$registry_host:$registry_port"]
  ca = ["$ca_cert"]

[registry."$registry_listen"]
  ca = ["$ca_cert"]
EOF
)
  running buildkitd "$pidfile" "$exe" "$conf" "$text" && return 0
  mkdir -p "$buildkit_root"
  # A socket left by a killed buildkitd would make the new one fail to listen.
  rm -f "$buildkit_sock"
  spawn "$pidfile" "$logfile" "$exe" --config "$conf"
  wait_until "buildkitd" "$logfile" "$pidfile" \
    "$FEDORA_BASE_TOOLS_BIN/buildctl" --addr "$buildkit_addr" debug workers
  svc_log "buildkitd ready on $buildkit_addr (pid $(pid_of "$pidfile"))"
}

# The builder is a name in the project's buildx store ($BUILDX_CONFIG); the docker-build
# provider records it in state, so it must stay the same name pointing at the same socket.
ensure_builder() {
  local endpoint out
  endpoint=$(docker buildx inspect "$builder_name" 2>/dev/null \
    | awk '$1 == "Endpoint:" {print $2; exit}') || true
  if [[ $endpoint != "$buildkit_addr" ]]; then
    if [[ -n $endpoint ]]; then
      svc_log "builder $builder_name points at $endpoint; recreating it"
      docker buildx rm "$builder_name" >/dev/null
    fi
    docker buildx create --name "$builder_name" --driver remote "$buildkit_addr" >/dev/null
    svc_log "builder $builder_name created"
  fi
  out=$(docker buildx inspect "$builder_name" --bootstrap 2>&1) \
    || { printf '%s\n' "$out" >&2; svc_die "builder $builder_name does not answer"; }
  svc_log "builder $builder_name ready: $(awk '$1 == "BuildKit" && $2 == "version:" {print $3}' \
    <<<"$out")"
}

mkdir -p "$run" "$state_dir"
eval "$("$repo/scripts/toolchain.sh" env)"
ensure_hosts_entry
ensure_tls
start_registry
configure_regctl
start_buildkitd
ensure_builder
svc_log "state backend: file://$state_dir"
svc_log "eval \"\$($services_dir/env.sh)\" sets up a shell for these services"
