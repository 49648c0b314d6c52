#!/usr/bin/env node
// The `aoe` umbrella command: discover, stat, stats, copy, bench, cfg, mask, reserve, probe-mtu, nbd and serve.
import { Command } from 'commander';
import { configureProgram, isEntryPoint, runMain, withVersion } from './common.js';
import { benchCommand } from './commands/bench.js';
import { cfgCommand } from './commands/cfg.js';
import { copyCommand } from './commands/copy.js';
import { discoverCommand } from './commands/discover.js';
import { maskCommand } from './commands/mask.js';
import { nbdCommand } from './commands/nbd.js';
import { probeMtuCommand } from './commands/probe-mtu.js';
import { reserveCommand } from './commands/reserve.js';
import { serveCommand } from './commands/serve.js';
import { statCommand } from './commands/stat.js';
import { statsCommand } from './commands/stats.js';

/** The `aoe` program and its subcommands, without parsing argv: also what man/aoe.8 is made from. */
export function buildProgram(): Command {
  const program = withVersion(configureProgram(new Command('aoe')))
    .description('ATA over Ethernet multipath initiator tools')
    .showHelpAfterError(false)
    .addHelpText(
      'after',
      `
Devices are named e1.1 (shelf 1, slot 1); every command also accepts aoe:e1.1, and copy needs that prefix.
'aoe COMMAND --help' shows each command's options and examples.

Examples:
  aoe discover -i eth1,eth2
  aoe copy aoe:e1.1 disk.img
  aoe stats --watch 2`,
    );
  for (const command of [
    discoverCommand(),
    statCommand(),
    statsCommand(),
    copyCommand(),
    benchCommand(),
    cfgCommand(),
    maskCommand(),
    reserveCommand(),
    probeMtuCommand(),
    nbdCommand(),
    serveCommand(),
  ]) {
    program.addCommand(configureProgram(command));
  }
  return program;
}

export async function main(): Promise<void> {
  await buildProgram().parseAsync(process.argv);
}

if (isEntryPoint(import.meta.url)) runMain('aoe', main);
