# Helpers of scripts/netlab.sh (sourced): errors, argument checks, the lab state file, sides, waiting for carrier.
die() { local code="$1"; shift; echo "netlab: $*" >&2; exit "$code"; }
usage() { sed -n '4,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

require_environment() {
  [[ "$(id -u)" == 0 ]] || die 3 "must run as root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)"
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die 3 "'$tool' not found in PATH (install the Debian package: ip/tc/bridge -> iproute2, nft -> nftables)"
  done
}

check_prefix() {
  [[ "$1" =~ ^[a-z][a-z0-9]{0,15}$ ]] || die 2 "bad PREFIX '$1': use 1-16 chars [a-z0-9], starting with a letter"
}

check_int() { # name value min max
  [[ "$2" =~ ^[0-9]+$ ]] && (( $2 >= $3 && $2 <= $4 )) || die 2 "$1 must be an integer in $3..$4 (got '$2')"
}

netns_exists() { [[ -e "/run/netns/$1" ]]; }

state_field() { # prefix key -> value of a top-level numeric/string field in PREFIX.json
  sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$STATE_DIR/$1.json"
}

load_state() { # sets PREFIX, LINKS, EXTRA
  PREFIX="$1"
  check_prefix "$PREFIX"
  [[ -f "$STATE_DIR/$PREFIX.json" ]] || die 4 "no lab '$PREFIX' (no $STATE_DIR/$PREFIX.json)"
  LINKS="$(state_field "$PREFIX" links)"
  EXTRA="$(state_field "$PREFIX" extraInitiators)"
}

initiator_namespaces() { # all initiator namespaces of the loaded lab
  echo "$PREFIX-ini"
  local k
  for (( k = 2; k <= EXTRA + 1; k++ )); do echo "$PREFIX-ini$k"; done
}

# Set SIDE_ENDS to "NAMESPACE DEVICE-PREFIX" entries for a side: t for the target, i for initiators.
# Runs in the main shell (never in a subshell) so a bad side stops the script.
side_ends() {
  SIDE_ENDS=()
  case "$1" in
    initiator|ini) SIDE_ENDS=("$PREFIX-ini i") ;;
    target|tgt) SIDE_ENDS=("$PREFIX-tgt t") ;;
    both) SIDE_ENDS=("$PREFIX-ini i" "$PREFIX-tgt t") ;;
    all)
      local ns
      while read -r ns; do SIDE_ENDS+=("$ns i"); done < <(initiator_namespaces)
      SIDE_ENDS+=("$PREFIX-tgt t") ;;
    ini[0-9]*)
      local k="${1#ini}"
      [[ "$k" =~ ^[0-9]+$ ]] && (( k >= 2 && k <= EXTRA + 1 )) || die 2 "no initiator '$1' in lab '$PREFIX'"
      SIDE_ENDS=("$PREFIX-$1 i") ;;
    *) die 2 "bad side '$1' (initiator|target|both|all|ini|ini2..)" ;;
  esac
}

check_index() { check_int INDEX "$1" 0 $(( LINKS - 1 )); }

# Wait until the operstate of every interface in the given namespaces agrees with its carrier: the
# kernel's linkwatch updates it up to ~1 s after the carrier changes, and until an interface is marked
# UP its qdisc is noop and silently drops frames. Pending: carrier on (LOWER_UP) but state DOWN or
# LOWERLAYERDOWN, or carrier off but state still UP.
wait_settled() {
  local tries
  for (( tries = 0; tries < 250; tries++ )); do
    ip -n "$1" -o link show >/dev/null 2>&1 || return 1
    if ! for ns in "$@"; do ip -n "$ns" -o link show; done | awk '
        { flags = $3; state = ""; for (i = 4; i < NF; i++) if ($i == "state") state = $(i + 1) }
        flags ~ /[<,]LOWER_UP[,>]/ && (state == "DOWN" || state == "LOWERLAYERDOWN") { pending = 1 }
        flags !~ /[<,]LOWER_UP[,>]/ && state == "UP" { pending = 1 }
        END { exit pending ? 0 : 1 }'; then
      return 0
    fi
    sleep 0.02
  done
  return 1
}

