#!/usr/bin/env node
// The installed `aoe-discover` bin: checks the Node.js version first, then loads the command (whose imports need a new Node).
import { nodeVersionSupported } from '../node-version.js';

if (nodeVersionSupported('aoe-discover')) {
  Promise.all([import('../common.js'), import('../aoe-discover.js')]).then(([{ runMain }, { main }]) => runMain('aoe-discover', main));
}
