# Fault injection of scripts/netlab.sh (sourced): nftables ingress loss, egress drops and their counters.
nft_chains() {
  local table="$1" hook="$2" ends="$3" rule="$4" ns dev
  local -A scripts=()
  while read -r ns dev; do
    [[ -n "$ns" ]] || continue
    scripts[$ns]+="add table netdev $table
add chain netdev $table $dev { type filter hook $hook device \"$dev\" priority 0; policy accept; }
flush chain netdev $table $dev
add rule netdev $table $dev $rule
"
  done <<< "$ends"
  for ns in "${!scripts[@]}"; do ip netns exec "$ns" nft -f - <<< "${scripts[$ns]}"; done
}

cmd_loss() {
  (( $# >= 2 )) || usage
  load_state "$1"; local percent="$2" side=both index="" ends="" ns prefix n
  shift 2
  while (( $# )); do
    case "$1" in
      --side) side="${2:-}"; shift 2 ;;
      --index) index="${2:-}"; check_index "$index"; shift 2 ;;
      *) die 2 "unknown option '$1'" ;;
    esac
  done
  [[ "$percent" =~ ^[0-9]+(\.[0-9]{1,2})?$ ]] || die 2 "PERCENT must be 0..100 with at most 2 decimals (got '$percent')"
  local basis; basis="$(awk -v p="$percent" 'BEGIN { printf "%d", p * 100 + 0.5 }')"
  (( basis <= 10000 )) || die 2 "PERCENT must be at most 100"
  require_environment ip nft
  local end
  side_ends "$side"
  for end in "${SIDE_ENDS[@]}"; do
    read -r ns prefix <<< "$end"
    for (( n = 0; n < LINKS; n++ )); do
      if [[ -z "$index" || "$index" == "$n" ]]; then ends+="$ns $prefix$n"$'\n'; fi
    done
  done
  local match="numgen random mod 10000 lt $basis "
  (( basis < 10000 )) || match=""   # 100%: drop every frame (numgen values stop at 9999)
  nft_chains "${PREFIX}_loss" ingress "$ends" "ether type $ETHERTYPE_AOE ${match}counter drop"
}

cmd_egress_drop() {
  (( $# == 3 )) || usage
  load_state "$1"; local side="$2" index="$3" ends=""
  check_index "$index"
  require_environment ip nft
  local end
  side_ends "$side"
  for end in "${SIDE_ENDS[@]}"; do ends+="$end$index"$'\n'; done
  nft_chains "${PREFIX}_egress" egress "$ends" "ether type $ETHERTYPE_AOE counter drop"
}

cmd_clear_table() { # prefix table-suffix
  [[ -n "${1:-}" ]] || usage
  load_state "$1"; require_environment ip nft
  local ns
  while read -r ns; do
    netns_exists "$ns" || continue
    ip netns exec "$ns" nft list table netdev "${PREFIX}_$2" >/dev/null 2>&1 || continue
    ip netns exec "$ns" nft delete table netdev "${PREFIX}_$2"
  done < "$STATE_DIR/$PREFIX.namespaces"
}

cmd_counters() {
  [[ -n "${1:-}" ]] || usage
  load_state "$1"; require_environment ip nft
  local ns table
  while read -r ns; do
    netns_exists "$ns" || continue
    for table in "${PREFIX}_loss" "${PREFIX}_egress"; do
      ip netns exec "$ns" nft list table netdev "$table" 2>/dev/null | awk -v ns="$ns" -v table="$table" '
        $1 == "chain" { chain = $2 }
        /counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print ns, table, chain, $(i + 1) }' || true   # no such table here
    done
  done < "$STATE_DIR/$PREFIX.namespaces"
}

