#!/usr/bin/env node
// The `aoe` umbrella command: discover, stat, copy, bench, cfg, mask, reserve, probe-mtu and (from the target) serve.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { configureProgram, runMain } from './common.js';
import { reportAtaErrors } from './commands/initiator-options.js';
import { benchCommand } from './commands/bench.js';
import { cfgCommand } from './commands/cfg.js';
import { copyCommand } from './commands/copy.js';
import { discoverCommand } from './commands/discover.js';
import { maskCommand } from './commands/mask.js';
import { nbdCommand } from './commands/nbd.js';
import { probeMtuCommand } from './commands/probe-mtu.js';
import { reserveCommand } from './commands/reserve.js';
import { statCommand } from './commands/stat.js';

async function main(): Promise<void> {
  const program = configureProgram(new Command('aoe'))
    .description('ATA over Ethernet multipath initiator tools')
    .showHelpAfterError(false);
  for (const command of [discoverCommand(), statCommand(), copyCommand(), benchCommand(), cfgCommand(), maskCommand(), reserveCommand(), probeMtuCommand(), nbdCommand()]) {
    program.addCommand(configureProgram(command));
  }
  // `aoe serve` comes from the target side; mounted when that module is built.
  const serveModule = new URL('./commands/serve.js', import.meta.url);
  if (existsSync(serveModule)) {
    const { serveCommand } = (await import(serveModule.href)) as { serveCommand: () => Command };
    program.addCommand(configureProgram(serveCommand()));
  }
  await reportAtaErrors('aoe', program.parseAsync(process.argv));
}

runMain('aoe', main);
