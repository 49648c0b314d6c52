// The three installed programs whose definitions make the man pages and the bash completion (and their `--help`).
import type { Command } from 'commander';
import { buildProgram as aoeDiscoverProgram } from '../../src/cli/aoe-discover.js';
import { buildProgram as aoeProgram } from '../../src/cli/aoe.js';
import { buildProgram as aoebladeProgram } from '../../src/cli/aoeblade.js';

export interface InstalledProgram {
  name: 'aoeblade' | 'aoe' | 'aoe-discover';
  build(): Command;
  /** One line for the man page's NAME section. */
  summary: string;
  seeAlso: string[];
}

export const INSTALLED_PROGRAMS: readonly InstalledProgram[] = [
  {
    name: 'aoeblade',
    build: aoebladeProgram,
    summary: "ATA over Ethernet target with vblade's command line",
    seeAlso: ['aoe(8)', 'aoe-discover(8)', 'vblade(8)', 'systemd.exec(5)'],
  },
  {
    name: 'aoe',
    build: aoeProgram,
    summary: 'ATA over Ethernet multipath initiator tools and multi-export target',
    seeAlso: ['aoeblade(8)', 'aoe-discover(8)', 'nbd-client(8)', 'nbdcopy(1)'],
  },
  {
    name: 'aoe-discover',
    build: aoeDiscoverProgram,
    summary: 'list ATA over Ethernet devices and their paths (aoekit; not the aoetools command of the same name)',
    seeAlso: ['aoe(8)', 'aoeblade(8)', 'aoe-stat(8)'],
  },
];
