#!/usr/bin/env node
// The `aoe-discover` bin: the same as `aoe discover`.
import { configureProgram, runMain } from './common.js';
import { discoverCommand } from './commands/discover.js';

runMain('aoe-discover', async () => {
  await configureProgram(discoverCommand('aoe-discover')).parseAsync(process.argv);
});
