// The bins' Node.js version gate: the comparison, the one-line message, and that it matches package.json's engines.
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MINIMUM_NODE_VERSION,
  NODE_VERSION_OVERRIDE_VARIABLE,
  nodeVersionAtLeast,
  nodeVersionProblem,
  nodeVersionSupported,
} from '../../src/cli/node-version.js';

describe('Node.js version gate', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    process.exitCode = 0;
  });

  it('is the engines range of package.json', () => {
    const manifest = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(`>=${MINIMUM_NODE_VERSION}`);
  });

  it.each([
    ['20.19.0', true],
    ['v20.19.0', true],
    ['20.19', true],
    ['20.20.2', true],
    ['22.0.0', true],
    ['20.18.3', false],
    ['20.9.0', false],
    ['18.20.4', false],
    ['v16.0.0', false],
  ])('%s is new enough: %s', (version, expected) => {
    expect(nodeVersionAtLeast(version, '20.19')).toBe(expected);
  });

  it('says what it needs and what it found, in one line', () => {
    expect(nodeVersionProblem('aoeblade', 'v18.20.4')).toBe('aoeblade: needs Node.js >= 20.19, this is 18.20.4');
    expect(nodeVersionProblem('aoe', '20.19.1')).toBeUndefined();
  });

  it(`prints the line and sets exit code 1 when ${NODE_VERSION_OVERRIDE_VARIABLE} fakes an old Node`, () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      written.push(String(text));
      return true;
    });
    vi.stubEnv(NODE_VERSION_OVERRIDE_VARIABLE, '18.19.0');
    expect(nodeVersionSupported('aoe-discover')).toBe(false);
    expect(written).toEqual(['aoe-discover: needs Node.js >= 20.19, this is 18.19.0\n']);
    expect(process.exitCode).toBe(1);
    vi.stubEnv(NODE_VERSION_OVERRIDE_VARIABLE, '');
    process.exitCode = 0;
    expect(nodeVersionSupported('aoe-discover')).toBe(true);
    expect(process.exitCode).toBe(0);
  });
});
