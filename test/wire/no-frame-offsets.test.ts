// Issue 12's rule, kept: outside src/wire, no AoE code reads or writes frame bytes by offset; it uses the wire layer's accessors.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const source = fileURLToPath(new URL('../../src/', import.meta.url));
/** Every directory of AoE code. src/wire owns frame bytes; src/nbd is the NBD protocol's own codec (no AoE frames). */
const AOE_CODE = ['blade', 'initiator', 'link', 'copy', 'store', 'native', 'cli'];

/**
 * Byte access that belongs in src/wire: `x[name + 12]`, `frame[27]`-style constant indexes into frames and slabs, and
 * Buffer's big/little-endian readers and writers.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/\b(?:frame|slab|reply|request|packet|buf|buffer|header)\[\s*\w+\s*\+\s*\d+\s*\]/, 'index arithmetic on a frame'],
  [/\b(?:frame|slab|reply|request|packet|buf|buffer|header)\[\d+\]/, 'a constant index into a frame'],
  [/\.(?:read|write)U?Int(?:8|16|32|16BE|16LE|32BE|32LE|BE|LE)\(/, "Buffer's integer readers/writers"],
];

function files(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const full = path.join(directory, name);
    if (statSync(full).isDirectory()) return files(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

describe('one wire layer', () => {
  it('no frame byte offsets outside src/wire (blade, initiator, link, copy, store, native, cli)', () => {
    const findings: string[] = [];
    for (const directory of AOE_CODE) {
      for (const file of files(path.join(source, directory))) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, index) => {
            if (/^\s*(\/\/|\*)/.test(line)) return; // comments may show what the accessors do
            for (const [pattern, what] of PATTERNS)
              if (pattern.test(line)) findings.push(`${path.relative(source, file)}:${index + 1}: ${what}: ${line.trim()}`);
          });
      }
    }
    expect(findings).toEqual([]);
  });
});
