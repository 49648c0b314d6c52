#!/usr/bin/env node
// The installed `aoeblade` bin: checks the Node.js version first, then loads the command (whose imports need a new Node).
import { nodeVersionSupported } from '../node-version.js';

if (nodeVersionSupported('aoeblade')) {
  Promise.all([import('../common.js'), import('../aoeblade.js')]).then(([{ runMain }, { main }]) => runMain('aoeblade', main));
}
