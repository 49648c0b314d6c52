// fast-check arbitraries for valid wire values and for biased "almost valid" byte strings.
import fc from 'fast-check';
import type {
  AoeHeader,
  AtaArg,
  ConfigArg,
  EthernetHeader,
  IdentifyInfo,
  MaskArg,
  MaskDirective,
  ReserveArg,
} from '../../src/wire/index.js';

export const RUNS = { numRuns: 300 } as const;

export const byte = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.tuple(u16, u16).map(([high, low]) => high * 0x10000 + low);
/** Any 48-bit number, biased towards the edges by the three 16-bit parts. */
export const u48 = fc.tuple(u16, u16, u16).map(([a, b, c]) => a * 0x100000000 + b * 0x10000 + c);
export const mac = u48;

export const ethernetHeader: fc.Arbitrary<EthernetHeader> = fc.record({ destination: mac, source: mac, etherType: u16 });

export const aoeHeader: fc.Arbitrary<AoeHeader> = fc.record({
  version: fc.constant(1),
  flags: fc.constantFrom(0, 0x4, 0x8, 0xc),
  error: byte,
  shelf: u16,
  slot: byte,
  command: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0xf0, max: 0xff })),
  tag: u32,
});

export const ataArg: fc.Arbitrary<AtaArg> = fc.record({
  flags: byte.map((b) => b & 0x53),
  errorFeature: byte,
  sectorCount: byte,
  commandStatus: byte,
  lba: u48,
});

export const configArg: fc.Arbitrary<ConfigArg> = fc.record({
  bufferCount: u16,
  firmwareVersion: u16,
  sectorCount: byte,
  aoeVersion: fc.integer({ min: 0, max: 15 }),
  command: fc.integer({ min: 0, max: 4 }),
  configString: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1000, maxLength: 1024 })),
});

const directive = fc.record({ command: byte, mac });
export const maskArg: fc.Arbitrary<MaskArg> = fc.oneof(
  fc.record({ command: fc.integer({ min: 0, max: 1 }), error: fc.constant(0), directives: fc.array(directive, { maxLength: 40 }) }),
  fc.record({
    command: fc.integer({ min: 0, max: 1 }),
    error: fc.integer({ min: 1, max: 0xff }),
    directives: fc.constant(null).map((): MaskDirective[] => []),
    errorIndex: byte,
  }),
);

export const reserveArg: fc.Arbitrary<ReserveArg> = fc.record({
  command: fc.integer({ min: 0, max: 2 }),
  macs: fc.array(mac, { maxLength: 40 }),
});

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
function ataString(maxLength: number): fc.Arbitrary<string> {
  return fc.array(printable, { maxLength }).map((chars) => chars.join('').replace(/ +$/, ''));
}
export const identifyInfo: fc.Arbitrary<Required<IdentifyInfo>> = fc.record({
  serial: ataString(20),
  firmware: ataString(8),
  model: ataString(40),
  sectors: fc.oneof(
    u48.map((n) => Math.min(n, 0xffffffffffff)),
    fc.integer({ min: 0, max: 0x10000000 }),
  ),
  physicalSectorSize: fc.constantFrom(512 as const, 4096 as const),
});

/**
 * Random bytes where, half the time, `fix` nudges them towards validity (e.g. zero reserved
 * bits) so the decoder's success paths get exercised too, not only its first check.
 */
export function biasedBytes(fix: (bytes: Uint8Array) => void, maxLength = 80): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.uint8Array({ maxLength, size: 'max' }), fc.boolean()).map(([bytes, nudge]) => {
    if (nudge) fix(bytes);
    return bytes;
  });
}
