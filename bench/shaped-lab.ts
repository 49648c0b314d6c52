// One tbf-shaped lab with its backing file for a multi-link scenario: built, handed to the scenario, always torn down.
import { createLab } from '../tools/lab/netlab.js';
import { nextLabPrefix } from './options.js';
import type { ScenarioContext } from './target-vs-vblade.js';
import type { BenchOptions, RawRun } from './types.js';

export interface MultipathHooks {
  record(run: RawRun): void;
  fail(message: string): void;
  log(message: string): void;
  /** Creates (and fills) the tmpfs backing file for a lab; returns its path and a remover. */
  makeBacking(prefix: string): Promise<{ path: string; remove(): Promise<void> }>;
}

export interface ShapedLab {
  context: ScenarioContext;
  targetIfs: string[];
  initiatorIfs: string[];
}

/** Builds `links` shaped links at `mtu`, runs `body` on them, then removes the lab and the backing file; a lab that cannot be built is a failure of `scenario`. */
export async function withShapedLab(
  scenario: string,
  options: BenchOptions,
  hooks: MultipathHooks,
  links: number,
  mtu: number,
  body: (shaped: ShapedLab) => Promise<void>,
): Promise<void> {
  let lab: Awaited<ReturnType<typeof createLab>>;
  try {
    lab = await createLab({ links, mtu, rate: options.rate, prefix: nextLabPrefix(options) });
  } catch (error) {
    hooks.fail(`${scenario} MTU ${mtu} links ${links}: cannot build the lab: ${(error as Error).message}`);
    return;
  }
  const backing = await hooks.makeBacking(lab.prefix);
  try {
    const context: ScenarioContext = {
      lab,
      mtu,
      options,
      backingFile: backing.path,
      record: hooks.record,
      fail: hooks.fail,
      log: hooks.log,
    };
    await body({
      context,
      targetIfs: lab.links.map((link) => link.targetIf),
      initiatorIfs: lab.links.map((link) => link.initiatorIf),
    });
  } finally {
    await lab.destroy();
    await backing.remove();
  }
}
