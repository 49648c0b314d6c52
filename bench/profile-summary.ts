#!/usr/bin/env node
// `node dist-tools/bench/profile-summary.js FILE.cpuprofile [N]`: self time per function of a --cpu-prof profile (what `bench --profile` writes).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Rows of [share of all samples, 'function file:line'], largest first; '(idle)' is time the event loop waited. */
export function summarizeProfile(profile: CpuProfile, limit = 25): Array<[number, string]> {
  const timeById = new Map<number, number>();
  profile.samples.forEach((id, index) => timeById.set(id, (timeById.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const selfTime = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const time = timeById.get(node.id) ?? 0;
    total += time;
    const frame = node.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
    selfTime.set(name, (selfTime.get(name) ?? 0) + time);
  }
  return [...selfTime]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, time]) => [total > 0 ? time / total : 0, name]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node dist-tools/bench/profile-summary.js FILE.cpuprofile [N]\n');
    process.exitCode = 2;
  } else {
    const rows = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25));
    for (const [share, name] of rows) process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
}
