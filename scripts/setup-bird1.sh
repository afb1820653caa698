#!/usr/bin/env bash
# BIRD 1.6 for the netns tests (tools/daemons/bird1.ts): what Calico's calico-node runs (a BIRD 1.6
# fork). Debian's `bird` package (1.6.8) conflicts with `bird2`, which the other tests need, so it is
# not installed: the .deb is fetched with `apt-get download` and unpacked with `dpkg -x` into
# .cache/bird1/ inside this checkout (git-ignored; WREN_BIRD1_DIR overrides). Nothing is written to
# system paths and no service is registered. Run as root; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${WREN_BIRD1_DIR:-.cache/bird1}"
bin="$dir/usr/sbin"

# birdc/birdc6 need libreadline8 and libtinfo6 (`ldd`); bird/bird6 need only libc6.
need=()
for pkg in libreadline8 libtinfo6; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

if [ -x "$bin/bird" ] && [ -x "$bin/birdc" ] && [ -x "$bin/bird6" ] && [ -x "$bin/birdc6" ]; then
  echo "BIRD 1.6 already unpacked in $dir"
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # apt drops privileges to _apt for downloads; let it write into the temp directory.
  if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
  # The package lists may be empty on a machine that had nothing to install: update once and retry.
  (cd "$tmp" && apt-get download bird) || { apt-get update && (cd "$tmp" && apt-get download bird); }
  deb="$(ls "$tmp"/bird_*.deb)"
  version="$(dpkg-deb -f "$deb" Version)"
  case "$version" in
    1.*) ;;
    *) echo "apt offers bird $version, not 1.x: cannot provide BIRD 1.6" >&2; exit 1 ;;
  esac
  rm -rf "$dir"
  mkdir -p "$dir"
  dpkg -x "$deb" "$dir"
  echo "BIRD $version unpacked in $dir"
fi

"$bin/bird" --version 2>&1 | grep -q '^BIRD version 1\.6' || { echo "$bin/bird is not BIRD 1.6" >&2; exit 1; }
for b in bird bird6 birdc birdc6; do
  if ldd "$bin/$b" | grep -q 'not found'; then
    echo "$bin/$b: missing shared libraries:" >&2
    ldd "$bin/$b" | grep 'not found' >&2
    exit 1
  fi
done
