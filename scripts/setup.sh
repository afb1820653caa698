#!/usr/bin/env bash
# Installs what wren's lab and tests need on a fresh Debian 12 machine (run as root), then the npm deps.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# etcd-server and etcd-client: the datastore lab, tests and bench run their own etcd (docs/datastore.md).
for pkg in bird2 frr gobgpd openbgpd iproute2 iputils-ping iputils-tracepath tshark tcpdump etcd-server etcd-client openssl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

# The packages may start their system services; wren's tests and lab run their own instances in
# network namespaces, so stop the system ones if the package install started them.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for svc in bird frr gobgpd openbgpd etcd; do systemctl stop "$svc" 2>/dev/null || true; done
fi
# OpenBGPD's engines chroot to its user's home, which only its systemd unit creates
# (RuntimeDirectory); the test driver (tools/daemons/openbgpd.ts) also creates it when missing.
mkdir -p /run/openbgpd

# BIRD 1.6 (Calico's BIRD) cannot be installed next to bird2: unpacked into .cache/bird1/.
scripts/setup-bird1.sh

npm ci --no-audit --no-fund
npm run build
