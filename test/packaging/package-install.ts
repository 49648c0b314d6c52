// Packs aoekit from a clean copy of the checkout and installs the tarball offline into an empty prefix whose PATH has no compiler.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program, never rejects on a non-zero exit (the caller checks `code`). */
export function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: `${stderr}${error && typeof error.code !== 'number' ? String(error) : ''}` });
      },
    );
  });
}

/** The environment of this process without npm's lifecycle variables (vitest may run under `npm test`). */
export function environmentWithoutNpm(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || name === 'npm_config_nodedir'));
}

/**
 * What CI would build from: the checkout's tracked and new (not ignored) files, so no dist/, build/, prebuilds/
 * or man/ from an earlier build; node_modules is linked, not copied.
 */
export function cleanCopy(destination: string): string {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && fs.existsSync(path.join(ROOT, file)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(destination, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(destination, file));
    fs.chmodSync(path.join(destination, file), fs.statSync(path.join(ROOT, file)).mode);
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(destination, 'node_modules'));
  return destination;
}

/** `npm pack` in `source` (its prepack builds everything), tarball into `destination`; returns the tarball's path. */
export async function npmPack(source: string, destination: string): Promise<string> {
  const result = await run('npm', ['pack', '--pack-destination', destination, '--no-audit', '--no-fund'], {
    cwd: source,
    env: environmentWithoutNpm(),
    timeoutMs: 300_000,
  });
  if (result.code !== 0) throw new Error(`npm pack failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  const tarball = fs.readdirSync(destination).find((name) => /^aoekit-.*\.tgz$/.test(name));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${destination}:\n${result.stdout}`);
  return path.join(destination, tarball);
}

/** The tools an install may use, and nothing that compiles: a directory of symlinks to be the whole PATH. */
export const BASIC_TOOLS = [
  'sh',
  'bash',
  'env',
  'ls',
  'cat',
  'mkdir',
  'rm',
  'cp',
  'mv',
  'ln',
  'chmod',
  'uname',
  'sed',
  'grep',
  'head',
  'readlink',
  'dirname',
  'xargs',
  'printf',
];
export const BUILD_TOOLS = ['cc', 'gcc', 'c++', 'g++', 'make', 'python3', 'python', 'node-gyp'];

export function restrictedPath(directory: string): string {
  fs.mkdirSync(directory, { recursive: true });
  const link = (name: string, target: string) => fs.symlinkSync(fs.realpathSync(target), path.join(directory, name));
  link('node', process.execPath);
  link('npm', execFileSync('bash', ['-c', 'type -P npm'], { encoding: 'utf8' }).trim());
  for (const tool of BASIC_TOOLS) {
    const found = execFileSync('bash', ['-c', `type -P ${tool} || true`], { encoding: 'utf8' }).trim();
    if (found) link(tool, found);
  }
  return directory;
}

/** The npm cache `npm ci` filled (where the dependency tarballs are). */
export function npmCache(): string {
  return execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', env: environmentWithoutNpm() }).trim();
}

interface LockEntry {
  version: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
}

/** Where node would find `name` from the lockfile location `from` (its own node_modules, then its parents'). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) throw new Error(`package-lock.json has no ${name} reachable from '${from}'`);
    const at = base.lastIndexOf('/node_modules/');
    base = at < 0 ? '' : base.slice(0, at);
  }
}

/**
 * A project in `prefix` depending on the tarball, with a lockfile holding aoekit's production dependencies exactly as
 * the checkout's lockfile pins them, so `npm ci` takes them from the npm cache (the versions `npm ci` fetched) with
 * no registry metadata.
 */
export function writeInstallProject(prefix: string, tarball: string): void {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', env: environmentWithoutNpm() })
    .trim()
    .replace(/\/$/, '');
  const chosen: Record<string, LockEntry> = {};
  const visit = (from: string, dependencies: Record<string, string> | undefined) => {
    for (const name of Object.keys(dependencies ?? {})) {
      const where = locate(lock.packages, from, name);
      if (chosen[where]) continue;
      const { dev: _dev, devOptional: _devOptional, ...entry } = lock.packages[where];
      const packageName = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
      entry.resolved ??= `${registry}/${packageName}/-/${packageName.split('/').pop()}-${entry.version}.tgz`;
      chosen[where] = entry;
      visit(where, { ...entry.dependencies, ...entry.optionalDependencies });
    }
  };
  visit('', manifest.dependencies);
  fs.mkdirSync(prefix, { recursive: true });
  const local = path.basename(tarball);
  fs.copyFileSync(tarball, path.join(prefix, local));
  const project = { name: 'aoekit-install-check', private: true, dependencies: { aoekit: `file:${local}` } };
  const integrity = `sha512-${createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
  const lockfile = {
    name: project.name,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: project.name, dependencies: project.dependencies },
      'node_modules/aoekit': {
        version: manifest.version,
        resolved: `file:${local}`,
        integrity,
        hasInstallScript: true,
        license: manifest.license,
        dependencies: manifest.dependencies,
        bin: manifest.bin,
        engines: manifest.engines,
      },
      ...chosen,
    },
  };
  fs.writeFileSync(path.join(prefix, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
  fs.writeFileSync(path.join(prefix, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`);
}

/** The environment of an install or a run without build tools: PATH is only `binDirectory`. */
export function restrictedEnvironment(binDirectory: string, cache: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HOME: os.homedir(), PATH: binDirectory, LANG: 'C.UTF-8', npm_config_cache: cache, ...extra };
}
