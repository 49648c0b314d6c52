// src/initiator reads and writes AoE frames only through src/wire: no frame byte offsets, no Buffer readUInt*/writeUInt*.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const INITIATOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/initiator');

/** Each rule is one way the data path used to decode frames by hand (issue 12). */
const RULES: { name: string; pattern: RegExp }[] = [
  {
    name: 'Buffer number accessor (use a src/wire accessor)',
    pattern: /\.(read|write)(U?Int(8|16|32|BE|LE)|BigU?Int64|Float|Double)\w*\s*\(/,
  },
  { name: 'indexing a frame buffer (use a src/wire accessor)', pattern: /\b(frame|slab|reply|buf|header|packet)\s*\[/ },
  { name: 'index with a byte offset (`[x + 6]`)', pattern: /\[[^[\]]*[+-]\s*\d+\s*\]/ },
  { name: 'literal byte offset as index (`x[14]`)', pattern: /\w\s*\[\s*\d{2,}\s*\]/ },
  { name: 'offset arithmetic into a frame (`offset + 8`)', pattern: /\b(offset|base|at)\s*\+\s*\d+\b/ },
  { name: 'MAC at a raw offset (use readSourceMac/readDestinationMac or an argument writer)', pattern: /\b(readMac|writeMac)\s*\(/ },
];

/** The source with comments blanked out (line numbers kept), so prose about byte offsets is not flagged. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** `file:line: rule: code` for every line of `source` that breaks a rule. */
function violations(file: string, source: string): string[] {
  const found: string[] = [];
  withoutComments(source)
    .split('\n')
    .forEach((line, index) => {
      for (const rule of RULES) if (rule.pattern.test(line)) found.push(`${file}:${index + 1}: ${rule.name}: ${line.trim()}`);
    });
  return found;
}

describe('src/initiator goes through src/wire', () => {
  it('has no raw frame byte access in any file', () => {
    const files = fs.readdirSync(INITIATOR).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((name) => violations(name, fs.readFileSync(path.join(INITIATOR, name), 'utf8')));
    expect(found).toEqual([]);
  });

  // Lines the initiator had before it used src/wire (commit 158e03a): each must be caught.
  it.each([
    ['if (((slab[base + 16] << 8) | slab[base + 17]) !== this.shelf || slab[base + 18] !== this.slot) return false;'],
    ['if (path.port !== port || readMac(slab, base + 6) !== path.targetMac) { return true; }'],
    ['const tag = ((slab[base + 20] << 24) | (slab[base + 21] << 16)) >>> 0;'],
    ['frame[27] = write ? AtaCommand.WriteSectorsExt : AtaCommand.ReadSectorsExt;'],
    ['this.header.writeUInt16BE(ETHERTYPE_AOE, 12);'],
    ['if (target.mac !== BROADCAST_MAC && reply.readUIntBE(6, 6) !== target.mac) return;'],
    ['const stringLength = Math.min(frame.readUInt16BE(offset + 6), frame.length - offset - 8);'],
    ["configString: frame.toString('latin1', offset + 8, offset + 8 + stringLength),"],
    ['frame.fill(0, offset, offset + 12);'],
    ['const maskError = reply[offset + 2];'],
    ['const status = values[AOE_ARG_OFFSET + 3];'],
    ['frame.writeUInt32BE(tag >>> 0, 20); frame.writeUIntLE(lba, 28, 6);'],
    ['const type = words[12];'],
  ])('catches %s', (line) => {
    expect(violations('old.ts', line)).not.toEqual([]);
  });

  it.each([
    ['if (readSourceMac(reply, 0) === path.targetMac && readShelf(reply, 0) === path.shelf) this.hooks.up(path);'],
    ['const status = isError || length < ATA_DATA_OFFSET ? 0 : ataCommandStatus(slab, base);'],
    ['this.nextOnPath[previous] = entry; // frame[20] in a comment is fine'],
    ['for (let index = 0; index < count; index += 1) macs.push(maskDirectiveMac(reply, 0, index));'],
    ['await this.readInto(buffer, offset); const device = found[0];'],
  ])('lets %s pass', (line) => {
    expect(violations('new.ts', line)).toEqual([]);
  });
});
