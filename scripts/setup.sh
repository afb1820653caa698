#!/usr/bin/env bash
# Sets up a fresh Debian 12 or 13 machine (run as root) for building, running and testing wren:
#   1. checks Node.js (package.json "engines") and npm, and stops with what to install if they are
#      missing or too old, before changing anything;
#   2. installs what is missing: the C toolchain and Python for the native addon (node-gyp), the
#      Node headers when the nodejs package does not ship them, the daemons and tools the lab and
#      the tests use, systemd-analyze and strace for the packaging tests;
#   3. unpacks BIRD 1.6 into .cache/bird1/, then `npm ci` and `npm run build`.
# Idempotent: with everything present it installs nothing (no apt-get at all) and only runs
# npm ci and the build (CI runs it every time: .ci/run). test/unit/scripts/setup.test.ts runs it
# with fake node, dpkg-query, apt-get and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

# ---------------------------------------------------------------- 1. Node.js
min="$(sed -n 's/.*"node": *">=\([0-9][0-9.]*\)".*/\1/p' package.json | head -n 1)"
min="${min:-20.11}"

node_help() {
  cat >&2 <<EOF

wren needs Node.js >= $min with npm (package.json "engines"). Install it, then run this script again:
  Debian 13 (trixie):   apt-get install nodejs npm        (Debian's nodejs is 20.19)
  Debian 12 (bookworm): Debian's nodejs is 18.x, too old; install Node.js 20 from NodeSource:
      apt-get install -y curl ca-certificates
      curl -fsSL https://deb.nodesource.com/setup_20.x -o /tmp/nodesource_setup.sh
      bash /tmp/nodesource_setup.sh && apt-get install -y nodejs
  (any Node.js >= $min on PATH will do, e.g. from nodejs.org's binaries or nvm.)
EOF
}

# "20.11.1" >= "20.11"? (numeric, field by field)
version_ge() {
  local IFS=.
  local -a have=($1) want=($2)
  local i
  for i in 0 1 2; do
    local h="${have[$i]:-0}" w="${want[$i]:-0}"
    if ((10#$h > 10#$w)); then return 0; fi
    if ((10#$h < 10#$w)); then return 1; fi
  done
  return 0
}

if ! command -v node >/dev/null 2>&1; then
  echo "setup: node not found on PATH." >&2
  node_help
  exit 1
fi
have="$(node -p 'process.versions.node' 2>/dev/null || true)"
if ! [[ "$have" =~ ^[0-9]+\.[0-9]+ ]]; then
  echo "setup: could not read the version of $(command -v node)." >&2
  node_help
  exit 1
fi
if ! version_ge "$have" "$min"; then
  echo "setup: Node.js $have is too old ($(command -v node)); wren needs >= $min." >&2
  node_help
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: Node.js $have is fine, but npm is not on PATH." >&2
  node_help
  exit 1
fi

# ---------------------------------------------------------------- 2. Debian packages
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# The native addon: gcc/g++/make/libc headers (build-essential) and Python for node-gyp.
# The lab and the tests: the daemons, iproute2, ping/tracepath, tshark/tcpdump; systemd-analyze
# (package systemd) and strace for the packaging tests (test/netns/packaging.netns.test.ts);
# prometheus-bird-exporter and curl for the BIRD socket test (test/netns/bird-socket.netns.test.ts);
# prometheus (with promtool) for the metrics tests (test/netns/metrics*.netns.test.ts);
# etcd-server, etcd-client and openssl for the datastore lab, tests and bench (docs/datastore.md); nftables
# for the BFD tests (nft drops a peer's packets inside its namespace: a silent failure).
want=(build-essential python3 bird2 frr gobgpd openbgpd iproute2 iputils-ping iputils-tracepath tshark tcpdump strace prometheus-bird-exporter prometheus curl etcd-server etcd-client openssl nftables)
command -v systemd-analyze >/dev/null 2>&1 || want+=(systemd)
# node-gyp compiles against the headers installed beside node (/usr/include/node): NodeSource's
# nodejs ships them, Debian's nodejs leaves them to libnode-dev. Without them node-gyp downloads
# them from nodejs.org.
prefix="$(dirname "$(dirname "$(command -v node)")")"
if [ ! -f "$prefix/include/node/node_api.h" ] && [ "$prefix" = /usr ] && installed nodejs && ! dpkg-query -W -f='${Version}' nodejs | grep -q nodesource; then
  want+=(libnode-dev)
fi

need=()
for pkg in "${want[@]}"; do installed "$pkg" || need+=("$pkg"); done
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt-get update
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

# The packages may start their system services; wren's tests and lab run their own instances in
# network namespaces, so stop the system ones if the package install started them.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for svc in bird frr gobgpd openbgpd prometheus-bird-exporter prometheus etcd; do systemctl stop "$svc" 2>/dev/null || true; done
fi
# OpenBGPD's engines chroot to its user's home, which only its systemd unit creates
# (RuntimeDirectory); the test driver (tools/daemons/openbgpd.ts) also creates it when missing.
mkdir -p /run/openbgpd

# ---------------------------------------------------------------- 3. BIRD 1.6, npm, build
# BIRD 1.6 (Calico's BIRD) cannot be installed next to bird2: unpacked into .cache/bird1/.
scripts/setup-bird1.sh

npm ci --no-audit --no-fund
npm run build
