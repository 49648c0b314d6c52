// `npm run build:package`: the bundles, man pages and bash completion that the npm package ships, all made from dist/.
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { bundleDeclarations, bundleJavaScript } from './bundle.js';
import { describeCommand } from './command-model.js';
import { renderBashCompletion } from './completion.js';
import { renderManPage } from './man.js';
import { INSTALLED_PROGRAMS } from './programs.js';

/** Notes under every page: how it was made. */
const COMMON_NOTES = ['The options and notes here are the ones --help prints: both come from the same program definition.'];

const PROGRAM_NOTES: Record<string, string[]> = {
  'aoe-discover': [
    'aoetools installs a different /sbin/aoe-discover, which tells the Linux aoe driver to rescan. ' +
      'When both are installed, call this one as "aoe discover", or by the full path of the npm bin (e.g. /usr/local/bin/aoe-discover), ' +
      "and the driver's as /sbin/aoe-discover.",
  ],
};

function writeIfChanged(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.writeFileSync(file, text);
}

async function main(): Promise<void> {
  const root = packageRoot();
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const outputs = await bundleJavaScript(root);
  outputs.push(path.relative(root, bundleDeclarations(root)));
  const models = INSTALLED_PROGRAMS.map((program) => describeCommand(program.build()));
  INSTALLED_PROGRAMS.forEach((program, index) => {
    const page = renderManPage(models[index], {
      section: 8,
      summary: program.summary,
      version,
      seeAlso: program.seeAlso,
      notes: [...(PROGRAM_NOTES[program.name] ?? []), ...COMMON_NOTES],
    });
    writeIfChanged(path.join(root, 'man', `${program.name}.8`), page);
    outputs.push(`man/${program.name}.8`);
  });
  writeIfChanged(path.join(root, 'completion', 'aoekit.bash'), renderBashCompletion(models));
  outputs.push('completion/aoekit.bash');
  process.stdout.write(`build:package: ${outputs.length} files (${outputs.join(', ')})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`build:package: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
