// The Node.js version gate of the installed bins: imports nothing and uses no syntax newer than ES2019, so any old Node with ES modules runs it.

/** The oldest Node.js aoekit runs on: package.json `engines.node` (a test keeps the two equal). */
export const MINIMUM_NODE_VERSION = '20.19';

/** Test-only: pretend to be this Node.js version (the packaging test checks the message without an old Node). */
export const NODE_VERSION_OVERRIDE_VARIABLE = 'AOEKIT_TEST_NODE_VERSION';

function parts(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0);
}

/** True when `version` (e.g. '20.19.0' or 'v18.20.4') is at least `minimum` (e.g. '20.19'). */
export function nodeVersionAtLeast(version: string, minimum: string): boolean {
  const have = parts(version);
  const need = parts(minimum);
  for (let index = 0; index < Math.max(have.length, need.length); index++) {
    const difference = (have[index] || 0) - (need[index] || 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

/** The one line a bin prints on a Node.js older than MINIMUM_NODE_VERSION, or undefined when it is new enough. */
export function nodeVersionProblem(program: string, version: string, minimum = MINIMUM_NODE_VERSION): string | undefined {
  if (nodeVersionAtLeast(version, minimum)) return undefined;
  return `${program}: needs Node.js >= ${minimum}, this is ${version.replace(/^v/, '')}`;
}

/** Checks the running Node.js; on one too old, prints the line, sets exit code 1 and returns false. */
export function nodeVersionSupported(program: string): boolean {
  const version = process.env[NODE_VERSION_OVERRIDE_VARIABLE] || process.versions.node;
  const problem = nodeVersionProblem(program, version);
  if (problem === undefined) return true;
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
  return false;
}
