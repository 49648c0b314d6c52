#!/bin/busybox sh
# Kernel-initiator guest /init (busybox ash): loads aoe.ko, checks size, direct I/O and ext4 on aoeblade's exports, prints AOEKIT lines on ttyS0.
#
# Parameters come from the kernel command line (all optional but aoekit.raw and aoekit.fs):
#   aoekit.mtu=N            MTU of eth0 (default 1500)
#   aoekit.raw=eX.Y         export for the size, direct read and direct write checks
#   aoekit.fs=eX.Y          export that gets mkfs.ext4, mount, a file, umount, mount again
#   aoekit.big=eX.Y         optional export past LBA28's reach (> 128 GiB): size, direct write + read at its end
#   aoekit.write_mib=N      MiB written with oflag=direct (default 4)
#   aoekit.write_at_mib=N   where, in MiB from the start of aoekit.raw (default 8)
#   aoekit.file_kib=N       size of the file put on ext4 (default 2048)
#   aoekit.deadsecs=N       aoe_deadsecs for aoe.ko (default 30): a target that stops answering fails I/O
#   aoekit.wait=N           seconds to wait for /dev/etherd/eX.Y (default 20)
#   aoekit.dmesg_max=N      kernel log lines reported at most (default 300)
# Output, one line each, always starting with "AOEKIT ": "step NAME SECONDS", "size DEV BYTES",
# "read-sha256 DEV HASH", "write DEV OFFSET LENGTH SHA256", "write-readback DEV SHA256" (raw, then big),
# "fs-file written|remounted SHA256", "dmesg <LEVEL>[TIME] TEXT", "dmesg-lines COUNT", "fail STEP REASON", and last "done ok|failed".
# It never reads /dev/etherd/err (that blocks until the driver reports an error).
set -u -o pipefail   # no -e: each failed step is reported as "fail STEP ..." and the later steps still run

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /mnt
/bin/busybox --install -s
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o size=64m tmpfs /tmp
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

say() { echo "AOEKIT $*"; }
now() { cut -d' ' -f1 /proc/uptime; }
failed=0
fail() { say "fail $1 $2"; failed=1; }

mtu=1500 raw="" fs="" big="" write_mib=4 write_at_mib=8 file_kib=2048 deadsecs=30 wait_seconds=20 dmesg_max=300
for word in $(cat /proc/cmdline); do
  case "$word" in
    aoekit.mtu=*) mtu="${word#*=}" ;;
    aoekit.raw=*) raw="${word#*=}" ;;
    aoekit.fs=*) fs="${word#*=}" ;;
    aoekit.big=*) big="${word#*=}" ;;
    aoekit.write_mib=*) write_mib="${word#*=}" ;;
    aoekit.write_at_mib=*) write_at_mib="${word#*=}" ;;
    aoekit.file_kib=*) file_kib="${word#*=}" ;;
    aoekit.deadsecs=*) deadsecs="${word#*=}" ;;
    aoekit.wait=*) wait_seconds="${word#*=}" ;;
    aoekit.dmesg_max=*) dmesg_max="${word#*=}" ;;
  esac
done

# Run one check and time it: "step NAME SECONDS", or "fail NAME ..." when it returns non-zero.
step() {
  local name="$1" start
  shift
  start="$(now)"
  if "$@"; then
    say "step $name $(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
  else
    fail "$name" "exit-status-$?"
    return 1
  fi
}

load_modules() {
  local module
  for module in $(cat /etc/aoekit/modules); do
    insmod "/lib/modules/$module.ko" || { say "fail modules insmod-$module"; return 1; }
  done
}

network_up() {
  local tries=0
  while [ ! -e /sys/class/net/eth0 ]; do
    tries=$((tries + 1)); [ "$tries" -lt 100 ] || return 1
    sleep 0.05
  done
  ip link set eth0 mtu "$mtu" || return 1
  ip link set eth0 up || return 1
  say "eth0 mtu $(cat /sys/class/net/eth0/mtu) mac $(cat /sys/class/net/eth0/address)"
}

# aoe.ko discovers on load; until the exports answer, ask again every second through /dev/etherd/discover.
aoe_up() {
  insmod /lib/modules/aoe.ko aoe_iflist=eth0 aoe_deadsecs="$deadsecs" || return 1
  local device elapsed=0
  for device in $raw $fs $big; do
    while [ ! -b "/dev/etherd/$device" ] || [ "$(blockdev --getsize64 "/dev/etherd/$device" 2>/dev/null || echo 0)" = 0 ]; do
      elapsed=$((elapsed + 1))
      [ "$elapsed" -le $((wait_seconds * 4)) ] || { say "fail aoe-up no-device-$device"; return 1; }
      [ $((elapsed % 4)) -ne 0 ] || [ ! -c /dev/etherd/discover ] || echo > /dev/etherd/discover
      sleep 0.25
    done
  done
}

check_size() {
  local device bytes
  for device in $raw $fs $big; do
    bytes="$(blockdev --getsize64 "/dev/etherd/$device")" || return 1
    say "size $device $bytes"
  done
}

direct_read() {
  local hash
  hash="$(dd if="/dev/etherd/$raw" bs=1M iflag=direct 2>/tmp/dd.err | sha256sum | cut -d' ' -f1)" || { cat /tmp/dd.err; return 1; }
  say "read-sha256 $raw $hash"
}

# Write write_mib MiB of random data to DEVICE at MiB AT with O_DIRECT, then read it back the same way.
direct_write() { # device at-mib
  local device="$1" at="$2" hash back
  dd if=/dev/urandom of=/tmp/write.bin bs=1M count="$write_mib" 2>/dev/null || return 1
  hash="$(sha256sum /tmp/write.bin | cut -d' ' -f1)"
  dd if=/tmp/write.bin of="/dev/etherd/$device" bs=1M seek="$at" oflag=direct conv=fsync 2>/tmp/dd.err || { cat /tmp/dd.err; return 1; }
  say "write $device $((at * 1048576)) $((write_mib * 1048576)) $hash"
  back="$(dd if="/dev/etherd/$device" bs=1M skip="$at" count="$write_mib" iflag=direct 2>/tmp/dd.err | sha256sum | cut -d' ' -f1)" || { cat /tmp/dd.err; return 1; }
  say "write-readback $device $back"
}

# The last write_mib MiB of the big export: LBAs that only LBA48 commands (0x24/0x34) reach.
big_write() {
  local mib
  mib=$(( $(blockdev --getsize64 "/dev/etherd/$big") / 1048576 - write_mib )) || return 1
  direct_write "$big" "$mib"
}

ext4_roundtrip() {
  local written remounted
  /sbin/mke2fs -t ext4 -F -q "/dev/etherd/$fs" || return 1
  mount -t ext4 "/dev/etherd/$fs" /mnt || return 1
  dd if=/dev/urandom of=/mnt/data.bin bs=1024 count="$file_kib" 2>/dev/null || return 1
  written="$(sha256sum /mnt/data.bin | cut -d' ' -f1)"
  say "fs-file written $written"
  umount /mnt || return 1
  blockdev --flushbufs "/dev/etherd/$fs" || true
  echo 3 > /proc/sys/vm/drop_caches
  mount -t ext4 -o ro "/dev/etherd/$fs" /mnt || return 1
  remounted="$(sha256sum /mnt/data.bin | cut -d' ' -f1)" || return 1
  say "fs-file remounted $remounted"
  umount /mnt
}

# Kernel lines about aoe, the AoE block devices, ext4 or I/O errors, with their level; the host decides
# which are errors. At most dmesg_max of them (a target that answers every request with an error makes
# thousands, and the serial console is slow under TCG), then "dmesg-lines TOTAL".
report_dmesg() {
  dmesg -r | grep -iE 'aoe|etherd|ext4|jbd2|i/o error|blk_update_request' > /tmp/dmesg.txt
  head -n "$dmesg_max" /tmp/dmesg.txt | while IFS= read -r line; do say "dmesg $line"; done
  say "dmesg-lines $(wc -l < /tmp/dmesg.txt)"
}

say "boot $(now)"
if [ -z "$raw" ] || [ -z "$fs" ]; then
  fail params "aoekit.raw-and-aoekit.fs-are-required"
else
  step modules load_modules && step network network_up && step aoe-up aoe_up && {
    step size check_size
    step read direct_read
    step write direct_write "$raw" "$write_at_mib"
    [ -z "$big" ] || step big-write big_write
    step ext4 ext4_roundtrip
  }
fi
report_dmesg
if [ "$failed" = 0 ]; then say "done ok"; else say "done failed"; fi
sync
poweroff -f
sleep 5
reboot -f
