#!/usr/bin/env node
// The `aoe` umbrella command: discover, stat, copy, bench, cfg, mask, reserve, probe-mtu, nbd and serve.
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

/** The `aoe` program and its subcommands, without parsing argv: also what man/aoe.8 is made from. */
export function buildProgram(): Command {
  const program = withVersion(configureProgram(new Command('aoe')))
    .description('ATA over Ethernet multipath initiator tools')
    .showHelpAfterError(false);
  for (const command of [
    discoverCommand(),
    statCommand(),
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
