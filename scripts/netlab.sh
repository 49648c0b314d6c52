#!/usr/bin/env bash
# Network lab: builds, changes and removes prefixed network namespaces joined by veth links for aoekit tests, bench and demo.
#
# Usage:
#   netlab.sh up PREFIX [--links N] [--mtu M] [--rate RATE] [--extra-initiators K]
#   netlab.sh down PREFIX                       remove what `up` made (idempotent)
#   netlab.sh status PREFIX [--json]            exit 0 complete, 1 partial, 4 unknown prefix
#   netlab.sh link PREFIX INDEX up|down [--side SIDE]
#   netlab.sh mtu PREFIX INDEX MTU              every end (and switch port) of link INDEX
#   netlab.sh loss PREFIX PERCENT [--side SIDE] [--index I]   random ingress drop of AoE frames
#   netlab.sh loss-clear PREFIX
#   netlab.sh egress-drop PREFIX SIDE INDEX     drop every AoE frame on egress (sender sees ENOBUFS)
#   netlab.sh egress-clear PREFIX
#   netlab.sh counters PREFIX                   "NS TABLE CHAIN PACKETS" per nftables drop counter
#   netlab.sh guest-port PREFIX INDEX           tap gt{INDEX} bridged with i{INDEX} in PREFIX-ini, for a VM's NIC
#   netlab.sh guest-port-del PREFIX INDEX       remove that tap and bridge (down does it too)
#
# Topology.
#   Default (no extra initiators): namespaces PREFIX-ini and PREFIX-tgt joined by N direct veth pairs,
#   i{n} in PREFIX-ini <-> t{n} in PREFIX-tgt. This is the fastest path (one veth hop per frame).
#   With --extra-initiators K: initiator namespaces PREFIX-ini, PREFIX-ini2 .. PREFIX-ini{K+1} all get
#   i0..i{N-1}; a switch namespace PREFIX-sw holds one Linux bridge b{n} per link index, with ports
#   b{n}t (peer of the target's t{n}) and b{n}i1, b{n}i2, ... (peers of each initiator's i{n}). One
#   target NIC then sees several initiators on one L2 segment, as in a real SAN. The bridges have STP
#   off, forward delay 0, ageing 300 s and IPv6 off, so frames flow as soon as ports are up. The
#   bridge is not the default because it costs an extra veth hop: one sender pushing 1060-byte frames
#   reached ~1.1 M frames/s direct against ~0.6 M through the bridge on a 2-vCPU VM.
#   veth pairs are created directly inside their namespaces (`ip link add X netns A type veth peer
#   name Y netns B`), so nothing ever appears in the root namespace and no temporary names can collide.
#   IPv6 is disabled inside every lab namespace so interfaces carry no ND/MLD noise, only our frames.
#
# Sides (--side): initiator (PREFIX-ini only), target, both (ini + tgt, the default), all (every
#   initiator + tgt), or one initiator namespace role: ini, ini2, ini3, ...
# Rate: --rate RATE adds `tbf rate RATE burst 64kb latency 20ms` at the root of every i{n} and t{n}, so
#   each direction of each link is shaped at the sending NIC.
# Loss uses an nftables netdev table PREFIX_loss with one ingress chain per device (an ingress drop is
#   a lost frame on the wire); egress drops use table PREFIX_egress (the sender's send fails with ENOBUFS,
#   unless it bypasses the qdisc layer with PACKET_QDISC_BYPASS). Only EtherType 0x88a2 is matched.
#   Ingress drops happen after ETH_P_ALL packet taps (tshark still sees the frame) but before sockets
#   bound to ETH_P_AOE, so a receiver must bind its AF_PACKET socket to 0x88a2 for loss to reach it.
# Guest ports: `guest-port` makes, inside PREFIX-ini, a persistent tap gt{n} (a QEMU -netdev tap opens it by
#   name) and a bridge gb{n} (STP off, forward delay 0) enslaving gt{n} and i{n}, all at i{n}'s MTU, so a VM's
#   virtio-net NIC sits on link n in place of the initiator namespace. Their names are recorded in
#   PREFIX.devices before they are made; `guest-port-del` and `down` delete exactly those names.
# Waiting: `up` and `link` return only once every operstate agrees with its carrier (the kernel's
#   linkwatch lags up to ~1 s, and until then a new link's noop qdisc silently drops frames).
#
# State: $AOEKIT_NETLAB_STATE_DIR (default /run/aoekit-netlab, like /run/netns it is cleared at boot)
#   holds PREFIX.namespaces (written before anything is created; `down` deletes exactly these names)
#   and PREFIX.json (the lab description `up` prints on stdout). `up` on an existing prefix fails with
#   exit 4; run `down` first. A failed `up` removes whatever it had made.
# Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 environment (not root, tool missing),
#   4 prefix exists (up) or unknown (other commands).
set -euo pipefail

readonly STATE_DIR="${AOEKIT_NETLAB_STATE_DIR:-/run/aoekit-netlab}"
readonly ETHERTYPE_AOE=0x88a2


# Helpers, faults (loss, egress drops, counters) and guest ports live beside this file.
NETLAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$NETLAB_DIR/netlab-lib.sh"
source "$NETLAB_DIR/netlab-faults.sh"
source "$NETLAB_DIR/netlab-guest.sh"

cmd_up() {
  PREFIX="${1:-}"; [[ -n "$PREFIX" ]] || usage; shift
  check_prefix "$PREFIX"
  local mtu=1500 rate="" tools=(ip)
  LINKS=2; EXTRA=0
  while (( $# )); do
    case "$1" in
      --links) LINKS="${2:-}"; shift 2 ;;
      --mtu) mtu="${2:-}"; shift 2 ;;
      --rate) rate="${2:-}"; shift 2 ;;
      --extra-initiators) EXTRA="${2:-}"; shift 2 ;;
      *) die 2 "unknown option '$1'" ;;
    esac
  done
  check_int --links "$LINKS" 1 16
  check_int --mtu "$mtu" 68 65535
  check_int --extra-initiators "$EXTRA" 0 8
  [[ -z "$rate" || "$rate" =~ ^[0-9]+(\.[0-9]+)?([kmgt]?(bit|bps))$ ]] || die 2 "bad --rate '$rate' (e.g. 1gbit, 500mbit)"
  [[ -n "$rate" ]] && tools+=(tc)
  require_environment "${tools[@]}"

  local namespaces=() ns k n
  mapfile -t namespaces < <(initiator_namespaces; echo "$PREFIX-tgt"; (( EXTRA > 0 )) && echo "$PREFIX-sw")
  for ns in "${namespaces[@]}"; do
    netns_exists "$ns" && die 4 "namespace '$ns' already exists; run: $0 down $PREFIX"
  done
  mkdir -p -m 700 "$STATE_DIR"
  # Claim the prefix atomically (noclobber = O_EXCL) before creating anything.
  ( set -o noclobber; printf '%s\n' "${namespaces[@]}" > "$STATE_DIR/$PREFIX.namespaces" ) 2>/dev/null \
    || die 4 "lab '$PREFIX' already exists ($STATE_DIR/$PREFIX.namespaces); run: $0 down $PREFIX"
  trap 'status=$?; trap - ERR EXIT; if (( status != 0 )); then echo "netlab: up $PREFIX failed, removing it" >&2; cmd_down "$PREFIX" >/dev/null 2>&1 || true; fi; exit $status' EXIT

  for ns in "${namespaces[@]}"; do
    ip netns add "$ns"
    ip netns exec "$ns" sh -c 'for f in all default; do echo 1 > /proc/sys/net/ipv6/conf/$f/disable_ipv6; done' 2>/dev/null || true
    ip -n "$ns" link set lo up
  done

  local ini inis=() batch="" ports
  mapfile -t inis < <(initiator_namespaces)
  for (( n = 0; n < LINKS; n++ )); do
    if (( EXTRA == 0 )); then
      batch+="link add i$n netns $PREFIX-ini mtu $mtu type veth peer name t$n netns $PREFIX-tgt mtu $mtu"$'\n'
    else
      batch+="link add b${n}t netns $PREFIX-sw mtu $mtu type veth peer name t$n netns $PREFIX-tgt mtu $mtu"$'\n'
      for (( k = 1; k <= ${#inis[@]}; k++ )); do
        batch+="link add b${n}i$k netns $PREFIX-sw mtu $mtu type veth peer name i$n netns ${inis[k-1]} mtu $mtu"$'\n'
      done
    fi
  done
  ip -batch - <<< "$batch"

  if (( EXTRA > 0 )); then
    batch=""
    for (( n = 0; n < LINKS; n++ )); do
      batch+="link add b$n type bridge stp_state 0 forward_delay 0 ageing_time 30000 mcast_snooping 0"$'\n'
      ports="b${n}t"
      for (( k = 1; k <= ${#inis[@]}; k++ )); do ports+=" b${n}i$k"; done
      for ns in $ports; do batch+="link set $ns master b$n up"$'\n'; done
      batch+="link set b$n mtu $mtu up"$'\n'
    done
    ip -n "$PREFIX-sw" -batch - <<< "$batch"
  fi

  local end_ns end_prefix up_batch tbf_batch
  side_ends all
  for ns in "${SIDE_ENDS[@]}"; do
    read -r end_ns end_prefix <<< "$ns"
    up_batch="" tbf_batch=""
    for (( n = 0; n < LINKS; n++ )); do
      up_batch+="link set $end_prefix$n up"$'\n'
      tbf_batch+="qdisc add dev $end_prefix$n root tbf rate $rate burst 64kb latency 20ms"$'\n'
    done
    ip -n "$end_ns" -batch - <<< "$up_batch"
    [[ -z "$rate" ]] || tc -n "$end_ns" -batch - <<< "$tbf_batch"
  done

  wait_settled "${namespaces[@]}" || die 1 "interfaces did not reach operstate UP within 5 s"
  write_description "$mtu" "$rate" > "$STATE_DIR/$PREFIX.json.tmp"
  mv "$STATE_DIR/$PREFIX.json.tmp" "$STATE_DIR/$PREFIX.json"
  cat "$STATE_DIR/$PREFIX.json"
}

write_description() { # mtu rate; uses PREFIX LINKS EXTRA
  local n k links="" extras="" sep=""
  for (( n = 0; n < LINKS; n++ )); do
    links+="${sep}{ \"initiatorIf\": \"i$n\", \"targetIf\": \"t$n\" }"; sep=", "
  done
  sep=""
  for (( k = 2; k <= EXTRA + 1; k++ )); do extras+="${sep}\"$PREFIX-ini$k\""; sep=", "; done
  local switch=null rate=null
  (( EXTRA > 0 )) && switch="\"$PREFIX-sw\""
  [[ -n "$2" ]] && rate="\"$2\""
  cat <<EOF
{
  "prefix": "$PREFIX",
  "links": $LINKS,
  "mtu": $1,
  "rate": $rate,
  "extraInitiators": $EXTRA,
  "initiatorNs": "$PREFIX-ini",
  "targetNs": "$PREFIX-tgt",
  "extraInitiatorNs": [$extras],
  "switchNs": $switch,
  "interfaces": [$links]
}
EOF
}

cmd_down() {
  local prefix="${1:-}"; [[ -n "$prefix" ]] || usage
  check_prefix "$prefix"
  require_environment ip
  local list="$STATE_DIR/$prefix.namespaces" ns pids dev
  if [[ -f "$STATE_DIR/$prefix.devices" ]]; then
    while read -r ns dev; do
      [[ "$ns" == "$prefix-"* ]] || continue   # never act on a name that is not ours
      netns_exists "$ns" && ip -n "$ns" link show "$dev" >/dev/null 2>&1 || continue
      ip -n "$ns" link del "$dev" || echo "netlab: warning: could not delete $dev in $ns" >&2
    done < "$STATE_DIR/$prefix.devices"
    rm -f "$STATE_DIR/$prefix.devices"
  fi
  if [[ ! -f "$list" ]]; then
    echo "netlab: lab '$prefix' is not up (nothing to remove)" >&2
    rm -f "$STATE_DIR/$prefix.json"
    return 0
  fi
  while read -r ns; do
    [[ "$ns" == "$prefix-"* ]] || continue   # never act on a name that is not ours
    netns_exists "$ns" || continue
    pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
    [[ -z "$pids" ]] || echo "netlab: warning: processes still in $ns (pids $pids); its interfaces live until they exit" >&2
    ip netns del "$ns"
  done < "$list"
  rm -f "$STATE_DIR/$prefix.json" "$STATE_DIR/$prefix.json.tmp" "$list"
}

cmd_status() {
  [[ -n "${1:-}" ]] || usage
  load_state "$1"
  local missing=0 ns
  while read -r ns; do netns_exists "$ns" || { echo "netlab: missing namespace $ns" >&2; missing=1; }; done < "$STATE_DIR/$PREFIX.namespaces"
  if [[ "${2:-}" == --json ]]; then
    cat "$STATE_DIR/$PREFIX.json"
  else
    while read -r ns; do
      netns_exists "$ns" || continue
      echo "== $ns"; ip -n "$ns" -br link show | grep -v '^lo '
      command -v tc >/dev/null && tc -n "$ns" qdisc show | grep tbf || true
    done < "$STATE_DIR/$PREFIX.namespaces"
  fi
  return "$missing"
}

cmd_link() {
  (( $# >= 3 )) || usage
  load_state "$1"; local index="$2" updown="$3" side=both
  check_index "$index"
  [[ "$updown" == up || "$updown" == down ]] || die 2 "expected up|down, got '$updown'"
  [[ "${4:-}" == --side ]] && side="${5:-}"
  require_environment ip
  local ns prefix end namespaces=()
  side_ends "$side"
  for end in "${SIDE_ENDS[@]}"; do
    read -r ns prefix <<< "$end"
    ip -n "$ns" link set "$prefix$index" "$updown"
  done
  mapfile -t namespaces < "$STATE_DIR/$PREFIX.namespaces"
  wait_settled "${namespaces[@]}" || echo "netlab: warning: operstate of link $index not settled after 5 s" >&2
}

cmd_mtu() {
  (( $# == 3 )) || usage
  load_state "$1"; local index="$2" mtu="$3" ns prefix k
  check_index "$index"; check_int MTU "$mtu" 68 65535
  require_environment ip
  if (( EXTRA > 0 )); then
    local batch="link set b${index}t mtu $mtu"$'\n'
    for (( k = 1; k <= EXTRA + 1; k++ )); do batch+="link set b${index}i$k mtu $mtu"$'\n'; done
    ip -n "$PREFIX-sw" -batch - <<< "${batch}link set b$index mtu $mtu"
  fi
  local end dev
  side_ends all
  for end in "${SIDE_ENDS[@]}"; do
    read -r ns prefix <<< "$end"
    ip -n "$ns" link set "$prefix$index" mtu "$mtu"
  done
  # A guest port on this link: the tap, then the bridge (whose MTU may not exceed its ports').
  for dev in "gt$index" "gb$index"; do
    ! device_recorded "$PREFIX-ini" "$dev" || ip -n "$PREFIX-ini" link set "$dev" mtu "$mtu"
  done
}

main() {
  local command="${1:-}"; (( $# )) && shift
  case "$command" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    link) cmd_link "$@" ;;
    mtu) cmd_mtu "$@" ;;
    loss) cmd_loss "$@" ;;
    loss-clear) cmd_clear_table "${1:-}" loss ;;
    egress-drop) cmd_egress_drop "$@" ;;
    egress-clear) cmd_clear_table "${1:-}" egress ;;
    counters) cmd_counters "$@" ;;
    guest-port) cmd_guest_port "$@" ;;
    guest-port-del) cmd_guest_port_del "$@" ;;
    -h|--help|help) usage ;;
    *) usage ;;
  esac
}

main "$@"
