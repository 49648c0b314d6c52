// What the npm package ships as code, made from tsc's dist/: the JS bundled by esbuild, the types rolled into one .d.ts by API Extractor.
import fs from 'node:fs';
import path from 'node:path';
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage } from '@microsoft/api-extractor';
import { build } from 'esbuild';

/** Where the bundles go, under the package root. */
export const BUNDLE_DIRECTORY = path.join('dist', 'bundle');

/**
 * The library, the three bins (each bin entry checks the Node.js version before it loads its command), and the
 * target's worker thread and the threaded link's thread, which blade/worker-pool.js and link/thread-link.js start as
 * './worker-thread.js' and './link-thread.js' beside themselves.
 */
const ENTRY_POINTS = {
  index: 'dist/index.js',
  'worker-thread': 'dist/blade/worker-thread.js',
  'link-thread': 'dist/link/link-thread.js',
  aoeblade: 'dist/cli/bin/aoeblade.js',
  aoe: 'dist/cli/bin/aoe.js',
  'aoe-discover': 'dist/cli/bin/aoe-discover.js',
} as const;

/**
 * Bundles tsc's output (the code the tests ran, not a second transpile of src/) into a few ES modules: one per
 * entry plus the chunks they share. Dependencies stay external (installed by npm), no source maps.
 */
export async function bundleJavaScript(root: string): Promise<string[]> {
  const outdir = path.join(root, BUNDLE_DIRECTORY);
  fs.rmSync(outdir, { recursive: true, force: true });
  const entryPoints = Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, file]) => [name, path.join(root, file)]));
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunk-[hash]',
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  return Object.keys(result.metafile.outputs).sort();
}

/** Rolls dist/index.d.ts and everything it refers to into dist/bundle/index.d.ts (API Extractor brings its own TypeScript). */
export function bundleDeclarations(root: string): string {
  const entry = path.join(root, 'dist', 'index.d.ts');
  const output = path.join(root, BUNDLE_DIRECTORY, 'index.d.ts');
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: entry,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
          files: [entry],
        },
      },
      dtsRollup: { enabled: true, untrimmedFilePath: output },
      apiReport: { enabled: false },
      docModel: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
        extractorMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: path.join(root, 'package.json'),
  });
  const problems: string[] = [];
  const result = Extractor.invoke(config, {
    localBuild: true,
    messageCallback: (message: ExtractorMessage) => {
      if (message.logLevel === 'error' || message.logLevel === 'warning') problems.push(message.formatMessageWithLocation(root));
      message.handled = true;
    },
  });
  if (!result.succeeded || problems.length > 0) {
    throw new Error(`API Extractor could not roll up ${entry}:\n${problems.join('\n')}`);
  }
  return output;
}
