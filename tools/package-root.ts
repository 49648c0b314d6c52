// Where the aoekit checkout is, found from any module of the tools (run from source under vitest or built into dist-tools/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory holding aoekit's package.json, walking up from this file. */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'aoekit')
      return (cached = directory);
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`aoekit: no package.json of aoekit above ${import.meta.url}`);
    directory = parent;
  }
}

/** A path inside the checkout: packagePath('dist', 'cli', 'aoeblade.js'). */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
