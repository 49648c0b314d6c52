#!/usr/bin/env bash
# Kernel-initiator guest: fetches Debian's kernel and busybox-static, builds a cached initramfs (aoe.ko, virtio-net, ext4, mke2fs) and says where it is.
#
# Usage:
#   kernel-guest.sh prepare     download/extract/build what is missing, then print {"kernel", "initramfs", ...} as JSON
#   kernel-guest.sh info        print the same JSON for what is cached, without apt (exit 4 when nothing is)
#
# Environment:
#   AOEKIT_GUEST_CACHE    cache directory (default /var/cache/aoekit-guest; outside git)
#   AOEKIT_GUEST_KERNEL   kernel package (default: the linux-image-*-amd64 package linux-image-amd64 depends on)
#
# Cache layout: debs/ (the .deb files apt-get download fetched, checked by SHA256), kernel/PKG_VERSION/ and
# busybox/PKG_VERSION/ (dpkg-deb -x trees; modules.dep made with busybox depmod, since the package leaves
# that to its postinst; boot/vmlinux-VERSION unpacked for a PVH boot), initramfs/HASH.cpio.gz (HASH covers both packages, mke2fs, the guest /init and this
# script, so a change to any of them builds a new one). Older entries are pruned. A lock serialises runs.
# The guest's /init is scripts/kernel-guest-init.sh. Exit codes: 0 ok, 1 failed, 2 usage, 3 environment, 4 not cached.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly GUEST_INIT="$SCRIPT_DIR/kernel-guest-init.sh"
readonly CACHE="${AOEKIT_GUEST_CACHE:-/var/cache/aoekit-guest}"
# Modules the guest needs; their dependencies come from modules.dep. aoe.ko is loaded apart, with parameters.
readonly MODULE_ROOTS=(virtio_pci virtio_net crc32c_generic ext4)
STAGING=""
trap '[[ -z "$STAGING" ]] || rm -rf "$STAGING"' EXIT

die() { local code="$1"; shift; echo "kernel-guest: $*" >&2; exit "$code"; }
log() { echo "kernel-guest: $*" >&2; }

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die 3 "'$tool' not found (run scripts/setup.sh as root)"
  done
}

# The versioned kernel package linux-image-amd64 depends on (needs apt lists: apt-get update once).
kernel_package() {
  if [[ -n "${AOEKIT_GUEST_KERNEL:-}" ]]; then echo "$AOEKIT_GUEST_KERNEL"; return; fi
  local name
  name="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')"
  if [[ -z "$name" && "$(id -u)" == 0 ]]; then
    log "apt lists know no linux-image-amd64; running apt-get update"
    apt-get update -qq >&2
    name="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')"
  fi
  [[ -n "$name" ]] || die 1 "cannot resolve linux-image-amd64 to a versioned package (apt-get update as root?)"
  echo "$name"
}

# apt's "URI FILE SIZE SHA256:HASH" for each package, in one apt call (each costs over a second here).
declare -A DEB_URIS=()
resolve_debs() {
  local uri file size hash
  while read -r uri file size hash; do
    DEB_URIS["${file%%_*}"]="$file $size ${hash#SHA256:}"
  done < <(apt-get download --print-uris "$@" 2>/dev/null)
  local package
  for package in "$@"; do [[ -n "${DEB_URIS[$package]:-}" ]] || die 1 "apt knows no package '$package'"; done
}

# Is the .deb apt names for PACKAGE in debs/ already, with apt's SHA256?
deb_cached() {
  local file size hash
  read -r file size hash <<< "${DEB_URIS[$1]}"
  [[ -f "$CACHE/debs/$file" ]] && echo "$hash  $CACHE/debs/$file" | sha256sum --quiet -c - 2>/dev/null
}

# Download PACKAGE into debs/ unless deb_cached; print the .deb path.
fetch_deb() {
  local package="$1" file size hash
  read -r file size hash <<< "${DEB_URIS[$package]}"
  file="$CACHE/debs/$file"
  if deb_cached "$package"; then echo "$file"; return; fi
  log "downloading $package ($((size / 1048576)) MiB)"
  local staging
  staging="$(mktemp -d "$CACHE/debs/.download.XXXXXX")"
  chown _apt "$staging" 2>/dev/null || true   # apt's sandbox user downloads into it
  ( cd "$staging" && apt-get download -q "$package" >&2 ) || { rm -rf "$staging"; die 1 "apt-get download $package failed"; }
  local fetched=("$staging"/*.deb)
  echo "$hash  ${fetched[0]}" | sha256sum --quiet -c - || { rm -rf "$staging"; die 1 "$package: SHA256 differs from apt's"; }
  mv "${fetched[0]}" "$file"
  rm -rf "$staging"
  # Keep only this version of the package.
  find "$CACHE/debs" -maxdepth 1 -name "${package}_*.deb" ! -path "$file" -delete
  echo "$file"
}

# Extract a .deb once into DIR/NAME (NAME = the .deb's base name); print the tree's path; prune other trees in DIR.
extract_deb() {
  local deb="$1" dir="$2" name tree
  name="$(basename "$deb" .deb)"
  tree="$dir/$name"
  if [[ ! -f "$tree/.complete" ]]; then
    log "extracting $(basename "$deb")"
    rm -rf "$tree" "$tree.partial"
    mkdir -p "$tree.partial"
    dpkg-deb -x "$deb" "$tree.partial"
    touch "$tree.partial/.complete"
    mv "$tree.partial" "$tree"
  fi
  local other
  for other in "$dir"/*; do
    [[ "$other" == "$tree" || ! -d "$other" ]] || rm -rf "$other"
  done
  echo "$tree"
}

# Print the kernel QEMU should boot: vmlinux, unpacked once from the bzImage's XZ payload next to it, when the
# kernel has a PVH entry (CONFIG_PVH); QEMU then loads the ELF directly, which spares the guest decompressing
# itself under TCG (4-10 s here). Without xz, or if no payload unpacks to an ELF, the bzImage itself.
bootable_kernel() { # tree version
  local vmlinuz="$1/boot/vmlinuz-$2" vmlinux="$1/boot/vmlinux-$2" offset
  if [[ -f "$vmlinux" ]]; then echo "$vmlinux"; return; fi
  if command -v xz >/dev/null 2>&1 && grep -qx 'CONFIG_PVH=y' "$1/boot/config-$2"; then
    for offset in $(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$vmlinuz" | cut -d: -f1 || true); do
      tail -c +$((offset + 1)) "$vmlinuz" | xz -dc --single-stream > "$vmlinux.partial" 2>/dev/null || true
      if [[ "$(head -c 4 "$vmlinux.partial" | od -An -c | tr -d ' ')" == '177ELF' ]]; then
        mv "$vmlinux.partial" "$vmlinux"
        echo "$vmlinux"; return
      fi
    done
    rm -f "$vmlinux.partial"
  fi
  log "booting the compressed kernel (no xz, no CONFIG_PVH, or no XZ payload in $vmlinuz)"
  echo "$vmlinuz"
}

# Print module names (no .ko) in load order: every module after the modules it depends on.
module_load_order() {
  local modules_dir="$1"; shift
  awk -v roots="$*" '
    function base(path) { sub(/^.*\//, "", path); sub(/\.ko(\.[a-z]+)?$/, "", path); return path }
    function visit(name,   count, parts, i) {
      if (name in done) return
      if (!(name in deps)) { print "missing module " name > "/dev/stderr"; failed = 1; return }
      done[name] = 1
      count = split(deps[name], parts, " ")
      for (i = count; i >= 1; i--) visit(parts[i])   # dependencies first, recursively
      print name
    }
    { sub(/:$/, "", $1); name = base($1); list = ""
      for (i = 2; i <= NF; i++) list = list (list == "" ? "" : " ") base($i)
      deps[name] = list }
    END { count = split(roots, wanted, " "); for (i = 1; i <= count; i++) visit(wanted[i]); exit failed }
  ' "$modules_dir/modules.dep"
}

build_initramfs() { # kernel-tree kernel-version busybox output
  local tree="$1" version="$2" busybox="$3" output="$4" modules_dir staging module library mke2fs
  modules_dir="$tree/lib/modules/$version"
  staging="$(mktemp -d "$CACHE/initramfs/.staging.XXXXXX")"
  STAGING="$staging"
  mkdir -p "$staging"/{bin,sbin,etc/aoekit,lib/modules,dev,proc,sys,tmp,mnt}
  cp "$busybox" "$staging/bin/busybox"
  install -m 755 "$GUEST_INIT" "$staging/init"

  local order
  order="$(module_load_order "$modules_dir" "${MODULE_ROOTS[@]}")" || die 1 "modules.dep of $version lacks a needed module"
  for module in $order aoe; do
    cp "$(find "$modules_dir/kernel" -name "$module.ko" -print -quit)" "$staging/lib/modules/$module.ko"
  done
  echo "$order" > "$staging/etc/aoekit/modules"

  # busybox has no ext4 mkfs: Debian's mke2fs with the shared libraries ldd names, at the same paths.
  mke2fs="$(command -v mke2fs)"
  cp "$mke2fs" "$staging/sbin/mke2fs"
  while read -r library; do
    mkdir -p "$staging$(dirname "$library")"
    cp -L "$library" "$staging$library"
  done < <(ldd "$mke2fs" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
  [[ ! -f /etc/mke2fs.conf ]] || cp /etc/mke2fs.conf "$staging/etc/mke2fs.conf"

  ( cd "$staging" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null ) | gzip -1 > "$output.partial"
  mv "$output.partial" "$output"
  rm -rf "$staging"
}

print_json() { # kernel initramfs version kernel-package busybox-package
  printf '{"kernel":"%s","initramfs":"%s","kernelVersion":"%s","kernelPackage":"%s","busyboxPackage":"%s","cache":"%s"}\n' \
    "$1" "$2" "$3" "$4" "$5" "$CACHE"
}

cmd_prepare() {
  require_tools apt-get apt-cache dpkg-deb gzip sha256sum flock ldd mke2fs awk find
  [[ -f "$GUEST_INIT" ]] || die 3 "guest init $GUEST_INIT missing"
  mkdir -p "$CACHE"/{debs,kernel,busybox,initramfs} 2>/dev/null && [[ -w "$CACHE" ]] \
    || die 3 "cache $CACHE is not writable (run as root, or set AOEKIT_GUEST_CACHE)"
  exec 9>"$CACHE/.lock"
  flock -w 900 9 || die 1 "another kernel-guest.sh holds $CACHE/.lock"

  local package kernel_deb busybox_deb kernel_tree busybox_tree version kernel busybox
  package="$(kernel_package)"
  resolve_debs "$package" busybox-static
  if ! { deb_cached "$package" && deb_cached busybox-static; } && [[ "$(id -u)" == 0 ]]; then
    # Stale lists name versions the archive may have dropped (security updates replace kernels): refresh first.
    log "refreshing apt lists before downloading"
    apt-get update -qq >&2 || log "apt-get update failed; using the lists as they are"
    package="$(kernel_package)"
    resolve_debs "$package" busybox-static
  fi
  kernel_deb="$(fetch_deb "$package")"
  busybox_deb="$(fetch_deb busybox-static)"
  kernel_tree="$(extract_deb "$kernel_deb" "$CACHE/kernel")"
  busybox_tree="$(extract_deb "$busybox_deb" "$CACHE/busybox")"
  busybox="$busybox_tree/bin/busybox"
  [[ -x "$busybox" ]] || die 1 "no bin/busybox in $(basename "$busybox_deb")"
  version="$(ls "$kernel_tree/lib/modules")"
  [[ "$(wc -w <<< "$version")" == 1 ]] || die 1 "expected one kernel version in $kernel_tree/lib/modules, found: $version"
  [[ -f "$kernel_tree/boot/vmlinuz-$version" ]] || die 1 "no boot/vmlinuz-$version in $kernel_tree"
  kernel="$(bootable_kernel "$kernel_tree" "$version")"
  [[ -f "$kernel_tree/lib/modules/$version/modules.dep" ]] || "$busybox" depmod -b "$kernel_tree" "$version"

  local stamp initramfs
  local inputs=("$(command -v mke2fs)" "$GUEST_INIT" "${BASH_SOURCE[0]}")
  [[ ! -f /etc/mke2fs.conf ]] || inputs+=(/etc/mke2fs.conf)
  stamp="$( { basename "$kernel_deb"; basename "$busybox_deb"; sha256sum "${inputs[@]}" | cut -d' ' -f1; } | sha256sum | cut -c1-16)"
  initramfs="$CACHE/initramfs/$stamp.cpio.gz"
  if [[ ! -f "$initramfs" ]]; then
    log "building initramfs for $version"
    build_initramfs "$kernel_tree" "$version" "$busybox" "$initramfs"
  fi
  find "$CACHE/initramfs" -maxdepth 1 -name '*.cpio.gz' ! -path "$initramfs" -delete
  echo "$initramfs" > "$CACHE/current"
  print_json "$kernel" "$initramfs" "$version" "$(basename "$kernel_deb" .deb)" "$(basename "$busybox_deb" .deb)"
}

cmd_info() {
  [[ -f "$CACHE/current" ]] || die 4 "nothing cached in $CACHE (run: $0 prepare)"
  local initramfs kernel_tree busybox_tree version kernel
  initramfs="$(cat "$CACHE/current")"
  kernel_tree="$(find "$CACHE/kernel" -mindepth 1 -maxdepth 1 -type d ! -name '*.partial' | head -n 1)"
  busybox_tree="$(find "$CACHE/busybox" -mindepth 1 -maxdepth 1 -type d ! -name '*.partial' | head -n 1)"
  [[ -f "$initramfs" && -n "$kernel_tree" && -n "$busybox_tree" ]] || die 4 "cache $CACHE is incomplete (run: $0 prepare)"
  version="$(ls "$kernel_tree/lib/modules")"
  kernel="$kernel_tree/boot/vmlinux-$version"
  [[ -f "$kernel" ]] || kernel="$kernel_tree/boot/vmlinuz-$version"
  print_json "$kernel" "$initramfs" "$version" "$(basename "$kernel_tree")" "$(basename "$busybox_tree")"
}

case "${1:-}" in
  prepare) cmd_prepare ;;
  info) cmd_info ;;
  *) sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
