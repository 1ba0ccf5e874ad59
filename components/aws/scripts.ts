/**
 * The text the AWS builders run: cloud-init user data, the remote TLS install and readiness
 * check, and the local buildx registration. Pure functions of their arguments, so the unit tests
 * read (and run, with stand-in tools) exactly what a builder gets.
 */
import { stringify } from "yaml";

import type { Architecture } from "../../stacks/config";

/** BuildKit's gRPC port on the builders; only mutual TLS is spoken there. */
export const BUILDKIT_PORT = 1234;

/** Name in the server certificate; buildx checks it (`servername`), whatever the IP. */
export const BUILDKIT_SERVER_NAME = "buildkitd.fedora-base.invalid";

/**
 * Registry host that stands for the stack's ECR registry in image inputs. `.invalid` never
 * resolves (RFC 2606); each builder's BuildKit maps it to the real registry as a pull mirror, so
 * digest-pinned refs in build arguments and labels name no account and no region.
 */
export const REGISTRY_ALIAS = "ecr.fedora-base.invalid";

/** Where BuildKit keeps its TLS material on a builder. */
export const TLS_DIR = "/etc/buildkit/tls";

/** Local socket for checks on the host itself; root only, never exposed. */
export const LOCAL_SOCKET = "unix:///run/buildkit/buildkitd.sock";

/** The default user of the AMIs we pin (Amazon Linux 2023). */
export const SSH_USER = "ec2-user";

/** Project-local client configuration (relative to the project directory). */
export const BUILDX_CONFIG_DIR = ".buildx";
export const DOCKER_CONFIG_DIR = ".docker";

export const GOARCH: Record<Architecture, "amd64" | "arm64"> = {
  x86_64: "amd64",
  aarch64: "arm64",
};

/** Release tarball of a BuildKit version for one architecture (what the sha256 pins). */
export function buildkitTarballUrl(version: string, arch: Architecture): string {
  return (
    `https://github.com/moby/buildkit/releases/download/${version}/` +
    `buildkit-${version}.linux-${GOARCH[arch]}.tar.gz`
  );
}

export interface BuildkitdConfigArgs {
  /** ECR registry host the alias stands for. */
  registryHost: string;
  /** Allow `network: host` build steps (the `network.host` entitlement). */
  hostNetwork: boolean;
}

/** buildkitd.toml: mTLS on TCP, a root-only local socket, the registry alias as a mirror. */
export function buildkitdToml(args: BuildkitdConfigArgs): string {
  return [
    `root = "/var/lib/buildkit"`,
    ...(args.hostNetwork ? [`insecure-entitlements = ["network.host"]`] : []),
    ``,
    `[grpc]`,
    `  address = ["tcp://0.0.0.0:${BUILDKIT_PORT}", "${LOCAL_SOCKET}"]`,
    ``,
    `[grpc.tls]`,
    `  cert = "${TLS_DIR}/cert.pem"`,
    `  key = "${TLS_DIR}/key.pem"`,
    `  ca = "${TLS_DIR}/ca.pem"`,
    ``,
    `[worker.oci]`,
    `  enabled = true`,
    `  binary = "/usr/local/bin/buildkit-runc"`,
    `  gc = true`,
    ``,
    `[worker.containerd]`,
    `  enabled = false`,
    ``,
    `[registry."${REGISTRY_ALIAS}"]`,
    `  mirrors = ["${args.registryHost}"]`,
    ``,
  ].join("\n");
}

/**
 * The unit starts only once the TLS material exists: with a CA configured BuildKit requires a
 * client certificate, and before the CA exists it does not listen at all.
 */
export const BUILDKIT_UNIT = [
  "[Unit]",
  "Description=BuildKit for fedora-base",
  "After=network-online.target",
  "Wants=network-online.target",
  `ConditionPathExists=${TLS_DIR}/ca.pem`,
  "",
  "[Service]",
  "ExecStart=/usr/local/bin/buildkitd --config /etc/buildkit/buildkitd.toml",
  "Restart=always",
  "LimitNOFILE=1048576",
  "",
  "[Install]",
  "WantedBy=multi-user.target",
  "",
].join("\n");

/** Downloads the pinned BuildKit release, checks its sha256, installs it under /usr/local. */
export function installBuildkitScript(version: string, arch: Architecture, sha256: string): string {
  return [
    "#!/bin/sh",
    "set -eu",
    `url='${buildkitTarballUrl(version, arch)}'`,
    'tmp=$(mktemp -d)',
    'curl -fsSL --retry 8 --retry-connrefused -o "$tmp/buildkit.tar.gz" "$url"',
    `echo '${sha256}  '"$tmp/buildkit.tar.gz" | sha256sum -c -`,
    'tar -xzf "$tmp/buildkit.tar.gz" -C /usr/local bin',
    'rm -rf "$tmp"',
    "systemctl daemon-reload",
    "",
  ].join("\n");
}

export interface UserDataArgs extends BuildkitdConfigArgs {
  architecture: Architecture;
  buildkitVersion: string;
  buildkitSha256: string;
  /** The SSH host key the provisioning connection pins (OpenSSH private key). */
  hostKeyPrivate: string;
  /** Its public half, `ssh-ed25519 AAAA...`. */
  hostKeyPublic: string;
}

/**
 * cloud-init user data: a known SSH host key (so the provisioning connection verifies the host),
 * the BuildKit config and unit, and the pinned BuildKit install. Holds a private key: the
 * program passes it as a secret.
 */
export function userData(args: UserDataArgs): string {
  const doc = {
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: {
      ed25519_private: args.hostKeyPrivate.trimEnd() + "\n",
      ed25519_public: args.hostKeyPublic.trim(),
    },
    write_files: [
      {
        path: "/etc/buildkit/buildkitd.toml",
        permissions: "0644",
        content: buildkitdToml(args),
      },
      {
        path: "/etc/systemd/system/buildkit.service",
        permissions: "0644",
        content: BUILDKIT_UNIT,
      },
      {
        path: "/usr/local/sbin/fedora-base-install-buildkit",
        permissions: "0755",
        content: installBuildkitScript(
          args.buildkitVersion,
          args.architecture,
          args.buildkitSha256,
        ),
      },
    ],
    runcmd: [["/usr/local/sbin/fedora-base-install-buildkit"]],
  };
  return "#cloud-config\n" + stringify(doc, { lineWidth: 0, sortMapEntries: false });
}

/**
 * Installs the TLS material read from stdin (CA certificate, server certificate, server key, in
 * that order, PEM) and (re)starts BuildKit. Waits for cloud-init first: it installs BuildKit.
 */
export function installTlsScript(): string {
  return [
    "set -eu",
    "cloud-init status --wait >/dev/null || [ $? -eq 2 ]",
    "umask 077",
    'tmp=$(mktemp -d)',
    `awk -v d="$tmp" '/-----BEGIN /{n++} n{print > (d "/" n ".pem")}'`,
    "for i in 1 2 3; do",
    '  [ -s "$tmp/$i.pem" ] || { echo "TLS bundle: part $i missing" >&2; exit 1; }',
    "done",
    `sudo install -d -m 0700 ${TLS_DIR}`,
    `sudo install -m 0644 "$tmp/1.pem" ${TLS_DIR}/ca.pem`,
    `sudo install -m 0644 "$tmp/2.pem" ${TLS_DIR}/cert.pem`,
    `sudo install -m 0600 "$tmp/3.pem" ${TLS_DIR}/key.pem`,
    'rm -rf "$tmp"',
    "sudo systemctl enable buildkit.service",
    "sudo systemctl restart buildkit.service",
    "",
  ].join("\n");
}

/**
 * Readiness: cloud-init finished, BuildKit answers, and it is the declared version. A mismatch
 * fails naming both versions: an image built by another BuildKit may differ in bytes (C11).
 * `tries` x 2 s bounds the wait for BuildKit to answer.
 */
export function readinessScript(declared: string, architecture: Architecture, tries = 90): string {
  return [
    "set -eu",
    'status=0; cloud-init status --wait >/dev/null || status=$?',
    'if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then',
    `  echo "cloud-init failed on the ${architecture} builder (status $status)" >&2; exit 1`,
    "fi",
    "i=0",
    `until reported=$(sudo buildctl --addr ${LOCAL_SOCKET} debug info \\`,
    "    --format '{{.BuildkitVersion.Version}}' 2>/dev/null); do",
    '  i=$((i + 1))',
    `  if [ "$i" -ge ${tries} ]; then`,
    `    echo "BuildKit on the ${architecture} builder did not answer" >&2; exit 1`,
    "  fi",
    "  sleep 2",
    "done",
    `if [ "$reported" != '${declared}' ]; then`,
    `  echo "builder.buildkitVersion: declared ${declared}, but the ${architecture} builder` +
      ` runs BuildKit $reported" >&2`,
    "  exit 1",
    "fi",
    `echo "${architecture} builder ready: BuildKit $reported"`,
    "",
  ].join("\n");
}

/**
 * Registers one builder host as a node of the shared buildx builder, idempotently: creates the
 * builder or updates the node in place, in the project-local buildx store, with the client
 * certificate written under it. Then asks the node its BuildKit version over mutual TLS and
 * fails on a mismatch, naming both. Reads its inputs from the environment (see
 * `registrationEnvironment`); prints one stable line on success.
 */
export function registrationScript(): string {
  return [
    "set -eu",
    "umask 077",
    'dir="$PWD/$BUILDX_CONFIG/fedora-base/$NODE"',
    'mkdir -p "$dir"',
    `printf '%s\\n' "$TLS_CA" > "$dir/ca.pem"`,
    `printf '%s\\n' "$TLS_CERT" > "$dir/cert.pem"`,
    `printf '%s\\n' "$TLS_KEY" > "$dir/key.pem"`,
    'opts="cacert=$dir/ca.pem,cert=$dir/cert.pem,key=$dir/key.pem,servername=$SERVER_NAME"',
    'if docker buildx inspect "$BUILDER" >/dev/null 2>&1; then append=--append; else append=; fi',
    'docker buildx create --name "$BUILDER" --node "$NODE" --platform "$PLATFORM" \\',
    '  --driver remote --driver-opt "$opts" $append "$ENDPOINT" >/dev/null',
    'out=$(docker buildx inspect --bootstrap "$BUILDER")',
    "reported=$(printf '%s\\n' \"$out\" | awk -v node=\"$NODE\" '",
    '  /^Name:/ { inside = ($2 == node) }',
    "  inside && /^(BuildKit version|Buildkit):/ { print $NF; exit }')",
    'if [ "$reported" != "$DECLARED" ]; then',
    '  echo "builder.buildkitVersion: declared $DECLARED, but buildx node $NODE of builder' +
      ' $BUILDER runs BuildKit ${reported:-(none reported)}" >&2',
    "  exit 1",
    "fi",
    'echo "registered $NODE in $BUILDER (BuildKit $reported)"',
    "",
  ].join("\n");
}

/** `docker login` to ECR in the project-local Docker config; the password comes on stdin. */
export function loginScript(): string {
  return [
    "set -eu",
    'docker login --username AWS --password-stdin "$REGISTRY" >/dev/null',
    'echo "logged in to $REGISTRY"',
    "",
  ].join("\n");
}
