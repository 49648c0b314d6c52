// Audit lines: every config string, mask and reservation change and every denial, with initiator MAC and target; one per kind per second.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { formatMac } from '../../src/wire/mac.js';
import { ataFrame, configFrame, maskFrame, reserveFrame } from './aoe-test-client.js';
import { INITIATOR_MAC, OTHER_MAC, TARGET_MAC, startFixture, type Fixture } from './fixture.js';

interface Line {
  level: number;
  msg: string;
  audit?: string;
  target?: string;
  initiator?: string | null;
  before?: unknown;
  after?: unknown;
  suppressed?: number;
}

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const base = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function start(options: Parameters<typeof startFixture>[0] = {}): Promise<{ fixture: Fixture; audits: (kind?: string) => Line[] }> {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (text: string) => lines.push(JSON.parse(text) as Line) });
  const started = await startFixture({ ...options, targetOptions: { ...options.targetOptions, logger } });
  return {
    fixture: started,
    audits: (kind) => lines.filter((line) => line.audit !== undefined && (kind === undefined || line.audit === kind)),
  };
}

describe('audit lines', () => {
  it('a flood of mask-denied frames gives one line at once, then one summary per second with the suppressed count', async () => {
    const started = await start({ exportOptions: { macMask: [INITIATOR_MAC] } });
    fixture = started.fixture;
    const denied = () => ataFrame({ ...base, source: OTHER_MAC, tag: 1, sectorCount: 1, ataCommand: 0xec });
    for (let i = 0; i < 50; i++) fixture.other.send(denied());
    await sleep(50);
    expect(fixture.target.stats().exports[0].maskDenied).toBe(50);
    expect(started.audits('maskDenied')).toEqual([
      expect.objectContaining({ level: 40, target: 'e1.2', initiator: formatMac(OTHER_MAC), suppressed: 0 }),
    ]);
    await sleep(1100);
    const [, summary] = started.audits('maskDenied');
    expect(summary).toMatchObject({ target: 'e1.2', initiator: formatMac(OTHER_MAC), suppressed: 49 });
    expect(summary.msg).toBe(`e1.2: denied 49 more requests (last from ${formatMac(OTHER_MAC)}): not on the mask list`);
    await sleep(1100); // a quiet second: no line, and the kind is unmuted
    expect(started.audits('maskDenied')).toHaveLength(2);
    fixture.other.send(denied());
    await sleep(50);
    expect(started.audits('maskDenied')).toHaveLength(3);
    expect(started.audits('maskDenied')[2].suppressed).toBe(0);
  });

  it('config string, mask and reservation changes name the initiator, the target and what changed; bursts are summed up', async () => {
    const started = await start();
    fixture = started.fixture;
    const initiator = formatMac(INITIATOR_MAC);
    await fixture.initiator.request(configFrame({ ...base, tag: 1, configCommand: 3, configString: 'rack1' }));
    for (const [index, text] of ['a', 'b', 'c'].entries()) {
      await fixture.initiator.request(configFrame({ ...base, tag: 2 + index, configCommand: 4, configString: text }));
    }
    await fixture.initiator.request(
      maskFrame({
        ...base,
        tag: 10,
        maskCommand: 1,
        directives: [
          [1, INITIATOR_MAC],
          [1, OTHER_MAC],
        ],
      }),
    );
    await fixture.initiator.request(maskFrame({ ...base, tag: 11, maskCommand: 0 })); // a read changes nothing
    await fixture.initiator.request(reserveFrame({ ...base, tag: 12, reserveCommand: 1, macs: [INITIATOR_MAC] }));
    // Another initiator is refused by the reservation: a Set and an ATA READ.
    const other = { ...base, source: OTHER_MAC };
    await fixture.other.request(reserveFrame({ ...other, tag: 13, reserveCommand: 1, macs: [OTHER_MAC] }));
    await fixture.other.request(ataFrame({ ...other, tag: 14, sectorCount: 1, ataCommand: 0x20 }));
    expect(started.audits('configString')).toEqual([
      expect.objectContaining({ level: 30, target: 'e1.2', initiator, before: '', after: 'rack1', suppressed: 0 }),
    ]);
    expect(started.audits('mask')).toEqual([
      expect.objectContaining({
        target: 'e1.2',
        initiator,
        before: [],
        after: [initiator, formatMac(OTHER_MAC)],
        msg: `e1.2: mask list changed by ${initiator}`,
      }),
    ]);
    expect(started.audits('reservation')).toEqual([expect.objectContaining({ initiator, before: [], after: [initiator] })]);
    expect(started.audits('reservationDenied')).toEqual([
      expect.objectContaining({ level: 40, initiator: formatMac(OTHER_MAC), msg: expect.stringMatching(/reserved by another initiator/) }),
    ]);
    await sleep(1100);
    expect(started.audits('configString')[1]).toMatchObject({ initiator, before: 'rack1', after: 'c', suppressed: 3 });
    expect(started.audits('reservationDenied')[1]).toMatchObject({ suppressed: 1 });
    expect(started.audits('mask')).toHaveLength(1);
  });

  it('a Set to the value already there logs nothing; lines held back are logged when the target stops', async () => {
    const started = await start({ exportOptions: { configString: 'same' } });
    fixture = started.fixture;
    await fixture.initiator.request(configFrame({ ...base, tag: 1, configCommand: 4, configString: 'same' }));
    expect(started.audits('configString')).toHaveLength(0);
    await fixture.initiator.request(configFrame({ ...base, tag: 2, configCommand: 4, configString: 'new' }));
    await fixture.initiator.request(configFrame({ ...base, tag: 3, configCommand: 4, configString: 'newer' }));
    expect(started.audits('configString')).toHaveLength(1);
    await fixture.close();
    fixture = undefined;
    expect(started.audits('configString')[1]).toMatchObject({ before: 'new', after: 'newer', suppressed: 1 });
  });
});
