#!/usr/bin/env node
// The installed `aoe` bin: checks the Node.js version first, then loads the command (whose imports need a new Node).
import { nodeVersionSupported } from '../node-version.js';

if (nodeVersionSupported('aoe')) {
  Promise.all([import('../common.js'), import('../aoe.js')]).then(([{ runMain }, { main }]) => runMain('aoe', main));
}
