#!/usr/bin/env bash
# Installs the Debian packages aoekit's tests, lab, demo and benchmark need, and caches the kernel-initiator guest (idempotent; needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

# qemu-system-x86 and busybox-static: the kernel-initiator test boots Debian's kernel (aoe.ko) under QEMU/TCG
# from a busybox initramfs (scripts/kernel-guest.sh); e2fsprogs also supplies the guest's mke2fs, xz-utils
# unpacks the kernel so QEMU can boot it without the guest decompressing itself. qemu-utils (qemu-nbd, qemu-img)
# serves the tests of NBD-backed exports. Packaging (test/packaging): systemd for systemd-analyze verify of the units,
# man-db and groff-base to render the man pages, binutils for the strip that prebuildify --strip runs.
# prometheus (with promtool) scrapes a lab aoeblade in the metrics test, which starts its own server inside the
# lab (the packaged service is not used); curl asks it and aoeblade's /metrics from inside the lab namespaces.
packages=(iproute2 nftables vblade aoetools tshark libnbd-bin nbdkit qemu-utils fuse3 e2fsprogs mount util-linux ethtool procps
  qemu-system-x86 busybox-static xz-utils systemd man-db groff-base binutils prometheus curl)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "$(id -u)" -ne 0 ]; then
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup: all Debian packages present (${packages[*]}); not root, so the kernel-initiator guest is fetched at test time"
    exit 0
  fi
  echo "setup: missing Debian packages: ${missing[*]}" >&2
  echo "setup: run this script as root (or: sudo apt-get install -y --no-install-recommends ${missing[*]})" >&2
  exit 1
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all Debian packages present (${packages[*]})"
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer it up front (CI has no terminal).
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: packages installed"
fi

# Debian's current linux-image-*-amd64 and busybox-static, unpacked, and the guest's initramfs, under
# /var/cache/aoekit-guest (reused when current; a first run downloads ~70 MB).
echo "setup: preparing the kernel-initiator guest"
bash scripts/kernel-guest.sh prepare >/dev/null
echo "setup: done"
