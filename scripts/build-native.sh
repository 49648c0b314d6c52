#!/usr/bin/env bash
# Builds the native addon with node-gyp, using the local Node headers when present (no download).
set -euo pipefail
cd "$(dirname "$0")/.."
args=(rebuild)
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then
  args+=(--nodedir=/usr)
fi
exec npx --no-install node-gyp "${args[@]}" "$@"
