// Persists each export's config string, mask list and reservation as JSON in --state-dir, atomically (tmp + fsync + rename + fsync dir).
import { ConfigError } from './config-error.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatMac, parseMac } from '../wire/mac.js';
import type { ExportRuntime, PersistedExportState } from './export.js';

interface StateFileV1 {
  version: 1;
  shelf: number;
  slot: number;
  /** Config string bytes, base64 (it is binary-safe on the wire). */
  configString: string;
  /** Human-readable copy of the config string (informational; configString wins). */
  configStringText: string;
  macMask: string[];
  reservation: string[];
}

function stateError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * `mkdir -p` that fails fast: one mkdir per missing component (Node 20's mkdir { recursive: true } loops forever under
 * /proc). Returns the directories it made, outermost first, so that a failed start can remove them again.
 */
export async function makeStateDirectory(stateDir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let current = path.resolve(stateDir); ; current = path.dirname(current)) {
    let isDirectory: boolean;
    try {
      isDirectory = (await fs.stat(current)).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
      if (code !== 'ENOENT' || path.dirname(current) === current)
        throw stateError(`cannot use state directory ${stateDir}: ${(error as Error).message}`, code);
      missing.unshift(current);
      continue;
    }
    if (!isDirectory) throw stateError(`cannot use state directory ${stateDir}: ${current} is not a directory`, 'ENOTDIR');
    break;
  }
  const created: string[] = [];
  for (const directory of missing) {
    try {
      await fs.mkdir(directory, { mode: 0o755 });
      created.push(directory);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue; // made by someone else meanwhile
      await removeDirectories(created);
      throw stateError(`cannot create state directory ${stateDir}: ${(error as Error).message}`, code ?? 'EIO');
    }
  }
  return created;
}

/** Remove directories makeStateDirectory made (innermost first; only while empty). */
export async function removeDirectories(created: readonly string[]): Promise<void> {
  for (const directory of [...created].reverse()) {
    try {
      await fs.rmdir(directory);
    } catch {
      return; // not empty (or gone): leave it and its parents
    }
  }
}

export function stateFilePath(stateDir: string, shelf: number, slot: number): string {
  return path.join(stateDir, `e${shelf}.${slot}.json`);
}

/** Load an export's persisted state; undefined when there is none. Corrupt files throw with code ERR_CONFIG. */
export async function loadExportState(stateDir: string, shelf: number, slot: number): Promise<PersistedExportState | undefined> {
  const file = stateFilePath(stateDir, shelf, slot);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const data = JSON.parse(text) as StateFileV1;
    return {
      configString: Buffer.from(data.configString ?? '', 'base64'),
      macMask: (data.macMask ?? []).map(parseMac),
      reservation: (data.reservation ?? []).map(parseMac),
    };
  } catch (error) {
    throw new ConfigError(`corrupt state file ${file}: ${(error as Error).message}`);
  }
}

/** Write atomically: a crash leaves either the old or the new file, never a torn one. */
export async function saveExportState(stateDir: string, runtime: ExportRuntime): Promise<void> {
  const state = runtime.snapshotState();
  const data: StateFileV1 = {
    version: 1,
    shelf: runtime.shelf,
    slot: runtime.slot,
    configString: Buffer.from(state.configString).toString('base64'),
    configStringText: Buffer.from(state.configString).toString('utf8'),
    macMask: state.macMask.map(formatMac),
    reservation: state.reservation.map(formatMac),
  };
  const file = stateFilePath(stateDir, runtime.shelf, runtime.slot);
  const temporary = `${file}.tmp-${process.pid}`;
  const handle = await fs.open(temporary, 'w', 0o644);
  try {
    try {
      await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  const directory = await fs.open(stateDir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Serialises saves per export and coalesces bursts: at most one write in progress plus one pending. */
export class StatePersister {
  private readonly busy = new Set<ExportRuntime>();
  private readonly dirty = new Set<ExportRuntime>();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly stateDir: string,
    private readonly onError: (error: Error, runtime: ExportRuntime) => void,
  ) {}

  schedule(runtime: ExportRuntime): void {
    if (this.busy.has(runtime)) {
      this.dirty.add(runtime);
      return;
    }
    this.busy.add(runtime);
    void this.run(runtime);
  }

  private async run(runtime: ExportRuntime): Promise<void> {
    do {
      this.dirty.delete(runtime);
      try {
        await saveExportState(this.stateDir, runtime);
      } catch (error) {
        this.onError(error as Error, runtime);
      }
    } while (this.dirty.has(runtime));
    this.busy.delete(runtime);
    if (this.busy.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves when every scheduled save has been written. */
  idle(): Promise<void> {
    if (this.busy.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
