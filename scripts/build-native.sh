#!/usr/bin/env bash
# Builds the native addon with node-gyp, using the local Node headers (/usr/include/node) when present instead of downloading.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -x node_modules/.bin/node-gyp ]]; then
  gyp=(node_modules/.bin/node-gyp)
elif [[ -n "${npm_config_node_gyp:-}" ]]; then
  gyp=(node "$npm_config_node_gyp") # the node-gyp bundled with npm, set for lifecycle scripts
else
  gyp=(node-gyp)
fi
args=(rebuild)
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then
  args+=(--nodedir=/usr)
fi
exec "${gyp[@]}" "${args[@]}" "$@"
