# Guest ports of scripts/netlab.sh (sourced): a tap and bridge in PREFIX-ini for a VM's NIC, recorded before they are made.
device_recorded() { # ns dev: made by guest-port and not removed since?
  [[ -f "$STATE_DIR/$PREFIX.devices" ]] && grep -qxF "$1 $2" "$STATE_DIR/$PREFIX.devices"
}

cmd_guest_port() {
  (( $# == 2 )) || usage
  load_state "$1"; local index="$2" ns="$PREFIX-ini" mtu
  check_index "$index"
  require_environment ip
  local tap="gt$index" bridge="gb$index"
  ! device_recorded "$ns" "$tap" || die 4 "guest port $index of lab '$PREFIX' exists; run: $0 guest-port-del $PREFIX $index"
  mtu="$(ip -n "$ns" -o link show "i$index" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')"
  [[ -n "$mtu" ]] || die 1 "no i$index in $ns"
  printf '%s %s\n' "$ns" "$tap" "$ns" "$bridge" >> "$STATE_DIR/$PREFIX.devices"
  if ! ip -n "$ns" -batch - <<< "tuntap add dev $tap mode tap
link set $tap mtu $mtu
link add $bridge type bridge stp_state 0 forward_delay 0 mcast_snooping 0
link set i$index master $bridge
link set $tap master $bridge
link set $bridge mtu $mtu
link set $tap up
link set $bridge up"; then
    cmd_guest_port_del "$PREFIX" "$index" >/dev/null 2>&1 || true
    die 1 "guest-port $index of lab '$PREFIX' failed"
  fi
  printf '{ "namespace": "%s", "tap": "%s", "bridge": "%s", "mtu": %s }\n' "$ns" "$tap" "$bridge" "$mtu"
}

cmd_guest_port_del() {
  (( $# == 2 )) || usage
  load_state "$1"; local index="$2" ns="$PREFIX-ini" dev
  check_index "$index"
  require_environment ip
  for dev in "gt$index" "gb$index"; do
    device_recorded "$ns" "$dev" || continue
    ! ip -n "$ns" link show "$dev" >/dev/null 2>&1 || ip -n "$ns" link del "$dev"
    grep -vxF "$ns $dev" "$STATE_DIR/$PREFIX.devices" > "$STATE_DIR/$PREFIX.devices.tmp" || true
    mv "$STATE_DIR/$PREFIX.devices.tmp" "$STATE_DIR/$PREFIX.devices"
  done
}

# Install a netdev chain per device. Args: table hook lines-of-"NS DEV" rule-text
