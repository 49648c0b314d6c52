// Where the installed aoekit package is and which version it is, found by walking up from this module (dist/ or a bundle).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'aoekit';

let cachedRoot: string | undefined;
let cachedVersion: string | undefined;

/** The directory holding aoekit's package.json: the checkout, or node_modules/aoekit once installed. */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && readManifest(manifest).name === PACKAGE_NAME) return (cachedRoot = directory);
    const parent = dirname(directory);
    if (parent === directory) {
      const error = new Error(`aoekit: no package.json of ${PACKAGE_NAME} above ${import.meta.url}`) as NodeJS.ErrnoException;
      error.code = 'ERR_AOEKIT_PACKAGE_ROOT';
      throw error;
    }
    directory = parent;
  }
}

/** The package version from package.json (what `--version` prints). */
export function packageVersion(): string {
  cachedVersion ??= String(readManifest(join(packageRoot(), 'package.json')).version);
  return cachedVersion;
}

function readManifest(path: string): { name?: string; version?: string } {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
  } catch {
    return {};
  }
}
