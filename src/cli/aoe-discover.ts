#!/usr/bin/env node
// The `aoe-discover` bin: the same as `aoe discover`.
import type { Command } from 'commander';
import { configureProgram, isEntryPoint, runMain, withVersion } from './common.js';
import { discoverCommand } from './commands/discover.js';

/** The `aoe-discover` program, without parsing argv: also what man/aoe-discover.8 is made from. */
export function buildProgram(): Command {
  return withVersion(configureProgram(discoverCommand('aoe-discover')));
}

export async function main(): Promise<void> {
  await buildProgram().parseAsync(process.argv);
}

if (isEntryPoint(import.meta.url)) runMain('aoe-discover', main);
