// The npm package end to end: packed from a clean copy, installed offline with no compiler on PATH, its bins, types and addon, a RAM disk served in the lab.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';
import {
  BUILD_TOOLS,
  cleanCopy,
  environmentWithoutNpm,
  npmCache,
  npmPack,
  restrictedEnvironment,
  restrictedPath,
  ROOT,
  run,
  writeInstallProject,
} from './package-install.js';

const BINS = ['aoeblade', 'aoe', 'aoe-discover'] as const;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-pack-'));
const prefix = path.join(work, 'prefix');
const installed = path.join(prefix, 'node_modules', 'aoekit');
const bin = (name: string) => path.join(prefix, 'node_modules', '.bin', name);
const noBuildTools = path.join(work, 'bin');
let cache = '';
let tarball = '';
let tarballFiles: string[] = [];
let install = { code: -1, stdout: '', stderr: '' };

/** A script in `project` that lists the NICs through the installed library (so through the addon); prints true. */
function writeAddonCheck(project: string): string {
  const script = path.join(project, 'addon-check.mjs');
  fs.writeFileSync(script, "import { listInterfaces } from 'aoekit';\nconsole.log(listInterfaces().some((nic) => nic.name === 'lo'));\n");
  return script;
}

beforeAll(async () => {
  const source = cleanCopy(path.join(work, 'source'));
  tarball = await npmPack(source, work);
  tarballFiles = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter((line) => line && !line.endsWith('/'));
  cache = npmCache();
  restrictedPath(noBuildTools);
  writeInstallProject(prefix, tarball);
  install = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], {
    cwd: prefix,
    env: restrictedEnvironment(noBuildTools, cache),
    timeoutMs: 180_000,
  });
}, 400_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('holds under 100 files: bundles, one .d.ts, the prebuild, the addon sources, man pages, units, completion, examples', () => {
    expect(tarballFiles.length).toBeLessThan(100);
    const files = tarballFiles.map((file) => file.replace(/^package\//, ''));
    for (const wanted of [
      'package.json',
      'README.md',
      'dist/bundle/index.js',
      'dist/bundle/index.d.ts',
      ...BINS.map((name) => `dist/bundle/${name}.js`),
      'prebuilds/linux-x64/aoekit.glibc.node',
      'binding.gyp',
      'native/binding.c',
      'native/packet_linux.c',
      'native/packet_other.c',
      'scripts/build-native.sh',
      ...BINS.map((name) => `man/${name}.8`),
      'systemd/aoeblade@.service',
      'systemd/aoe-serve.service',
      'systemd/aoe-nbd@.service',
      'systemd/aoeblade-instance',
      'completion/aoekit.bash',
      'examples/serve.json',
    ]) {
      expect(files, wanted).toContain(wanted);
    }
    expect(files.filter((file) => /\.map$|\.tsbuildinfo$|^(src|test|tools|bench|build)\/|^dist\/(?!bundle\/)/.test(file))).toEqual([]);
  });
});

describe('installed with no compiler, make or python on PATH', () => {
  it('npm ci takes the dependencies from the npm cache and builds nothing: the prebuild is used', async () => {
    for (const tool of BUILD_TOOLS) expect(fs.existsSync(path.join(noBuildTools, tool)), tool).toBe(false);
    expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
    expect(fs.existsSync(path.join(installed, 'build')), 'the install compiled the addon').toBe(false);
    // npm rebuild runs the install script again, in the foreground: node-gyp-build finds the prebuild and stops.
    const rebuild = await run('npm', ['rebuild', 'aoekit', '--foreground-scripts'], {
      cwd: prefix,
      env: restrictedEnvironment(noBuildTools, cache),
    });
    expect(rebuild.code, `${rebuild.stdout}\n${rebuild.stderr}`).toBe(0);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  }, 120_000);

  it('every bin prints the package version for --version and -V', async () => {
    for (const name of BINS) {
      for (const flag of ['--version', '-V']) {
        const result = await run(bin(name), [flag], { env: restrictedEnvironment(noBuildTools, cache) });
        expect(result, `${name} ${flag}`).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
      }
    }
  });

  it('aoeblade-instance, through its npm bin link, runs the installed aoeblade with the words of NAME.conf', async () => {
    const config = path.join(work, 'instance-config');
    fs.mkdirSync(config, { recursive: true });
    fs.writeFileSync(path.join(config, 'check.conf'), '# only asks for the version\n--version\n');
    const result = await run(bin('aoeblade-instance'), ['check'], {
      env: restrictedEnvironment(noBuildTools, cache, { AOEKIT_CONFIG_DIR: config }),
    });
    expect(result).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });

  it('on a Node.js older than engines, every bin says so in one line and exits 1', async () => {
    expect(manifest.engines.node).toBe('>=20.19');
    // Before the check, a bin loads only the check itself: its static imports are chunks that import nothing.
    for (const name of BINS) {
      const entry = fs.readFileSync(path.join(installed, 'dist', 'bundle', `${name}.js`), 'utf8');
      const staticImports = [...entry.matchAll(/^import[^;]*?from\s+"([^"]+)"/gm)].map((match) => match[1]);
      expect(staticImports.length, name).toBe(1);
      const chunk = fs.readFileSync(path.join(installed, 'dist', 'bundle', staticImports[0]), 'utf8');
      expect(chunk, `${name}: ${staticImports[0]}`).not.toMatch(/^import\b|\bimport\(|\brequire\(/m);
    }
    for (const name of BINS) {
      const result = await run(bin(name), ['--version'], {
        env: restrictedEnvironment(noBuildTools, cache, { AOEKIT_TEST_NODE_VERSION: '18.20.4' }),
      });
      expect(result, name).toEqual({ code: 1, stdout: '', stderr: `${name}: needs Node.js >= 20.19, this is 18.20.4\n` });
    }
  });

  it('the library loads the prebuilt addon, and its bundled types compile in a TypeScript consumer', async () => {
    const script = writeAddonCheck(prefix);
    const loaded = await run(process.execPath, [script], { cwd: prefix, env: restrictedEnvironment(noBuildTools, cache) });
    expect(loaded, 'listInterfaces() through the prebuild').toEqual({ code: 0, stdout: 'true\n', stderr: '' });
    fs.writeFileSync(
      path.join(prefix, 'consumer.mts'),
      [
        "import { openDevice, type ServeConfig } from 'aoekit';",
        "const config: ServeConfig = { exports: [{ shelf: 1, slot: 1, path: 'ram:1M', interfaces: ['eth1'] }] };",
        "const device = await openDevice('e1.1', { interfaces: ['eth1'] });",
        'const data: Uint8Array = await device.read(0, 512);',
        'export { config, data };',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(prefix, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.mts'],
      }),
    );
    const typecheck = await run(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', path.join(prefix, 'tsconfig.json')], {
      cwd: prefix,
      env: environmentWithoutNpm(),
    });
    expect(typecheck, 'tsc on a consumer of the bundled index.d.ts').toMatchObject({ code: 0, stdout: '' });
  }, 60_000);

  it('with no matching prebuild: one clear ERR_AOEKIT_ADDON_MISSING line; npm rebuild then builds it from source', async () => {
    const copy = path.join(work, 'no-prebuild');
    fs.cpSync(prefix, copy, { recursive: true, verbatimSymlinks: true });
    const copied = path.join(copy, 'node_modules', 'aoekit');
    fs.rmSync(path.join(copied, 'prebuilds'), { recursive: true });
    const discover = path.join(copied, 'dist', 'bundle', 'aoe-discover.js');
    const missing = await run(process.execPath, [discover, '-i', 'lo', '--timeout', '10'], {
      env: restrictedEnvironment(noBuildTools, cache),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^aoe-discover: aoekit: native addon not found .*npm rebuild aoekit.*\(ERR_AOEKIT_ADDON_MISSING\)$/m);
    // Without build tools the fallback cannot build, and says so; with them (a normal PATH) it does.
    const without = await run('npm', ['rebuild', 'aoekit', '--foreground-scripts'], {
      cwd: copy,
      env: restrictedEnvironment(noBuildTools, cache),
    });
    expect(without.code).not.toBe(0);
    const headers = fs.existsSync('/usr/include/node/node_api.h') ? { npm_config_nodedir: '/usr' } : {};
    const rebuilt = await run('npm', ['rebuild', 'aoekit', '--foreground-scripts'], {
      cwd: copy,
      env: { ...environmentWithoutNpm(), ...headers, npm_config_cache: cache },
      timeoutMs: 180_000,
    });
    expect(rebuilt.code, `${rebuilt.stdout}\n${rebuilt.stderr}`).toBe(0);
    expect(fs.existsSync(path.join(copied, 'build', 'Release', 'aoekit_packet.node'))).toBe(true);
    const script = writeAddonCheck(copy);
    const loaded = await run(process.execPath, [script], { cwd: copy, env: restrictedEnvironment(noBuildTools, cache) });
    expect(loaded).toEqual({ code: 0, stdout: 'true\n', stderr: '' });
  }, 240_000);
});

describe('the installed aoeblade and aoe in the network lab [netlab]', () => {
  const net = useLab({ links: 1 });

  it('aoeblade serves ram:16M; aoe copy writes 8 MiB and reads it back (same sha256), the library reads it too; SIGTERM exits 0', async () => {
    const lab = net.lab;
    const blade = lab.spawn(lab.targetNs, [bin('aoeblade'), '--log-level', 'info', '3', '7', 't0', 'ram:16M'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    blade.stdout?.on('data', (chunk) => (output += chunk));
    blade.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => blade.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 15_000;
      while (!output.includes('"msg":"serving')) {
        if (blade.exitCode !== null || Date.now() > deadline) throw new Error(`the installed aoeblade did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const data = randomBytes(8 * 1024 * 1024);
      const source = path.join(work, 'data.bin');
      const back = path.join(work, 'back.bin');
      fs.writeFileSync(source, data);
      const write = await lab.exec(lab.initiatorNs, [bin('aoe'), 'copy', source, 'aoe:e3.7', '-i', 'i0'], { timeoutMs: 60_000 });
      expect(write.code, write.stderr).toBe(0);
      const read = await lab.exec(lab.initiatorNs, [bin('aoe'), 'copy', 'aoe:e3.7', back, '--length', '8M', '-i', 'i0'], {
        timeoutMs: 60_000,
      });
      expect(read.code, read.stderr).toBe(0);
      expect(sha256(fs.readFileSync(back))).toBe(sha256(data));
      const library = path.join(prefix, 'library-read.mjs');
      fs.writeFileSync(
        library,
        [
          "import { createHash } from 'node:crypto';",
          "import { openDevice } from 'aoekit';",
          "const device = await openDevice('e3.7', { interfaces: ['i0'] });",
          'const bytes = await device.read(0, 8 * 1024 * 1024);',
          'await device.close();',
          "console.log(createHash('sha256').update(bytes).digest('hex'));",
        ].join('\n'),
      );
      const viaLibrary = await lab.exec(lab.initiatorNs, [process.execPath, library], { timeoutMs: 60_000 });
      expect(viaLibrary.code, viaLibrary.stderr).toBe(0);
      expect(viaLibrary.stdout.trim()).toBe(sha256(data));
      blade.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (blade.exitCode === null && blade.signalCode === null) blade.kill('SIGKILL');
    }
  }, 120_000);
});
