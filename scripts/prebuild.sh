#!/usr/bin/env bash
# `npm run prebuild`: the Node-API addon for this platform, stripped, into prebuilds/<platform>-<arch>/ (prebuildify), shipped by `npm pack`.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's nodejs ships its headers: use them instead of downloading (node-gyp reads npm_config_nodedir).
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then
  export npm_config_nodedir=/usr
fi
rm -rf prebuilds
# --napi: one build for every Node.js with Node-API 8 (the addon uses nothing newer), named by ABI, not Node version;
# --tag-libc: named glibc, so a musl system (Alpine) builds from source instead of loading it;
# --target: the running Node's headers, which are the ones on disk (prebuildify's default would fetch the newest).
node_modules/.bin/prebuildify --napi --strip --tag-libc --target "node@$(node -p process.versions.node)" >/dev/null
find prebuilds -name '*.node' -printf 'prebuild: %p (%s bytes)\n'
