// Per-server NBD request counters (by command), bumped once per request as its reply goes out; read by stats() and /metrics.
import { Command } from './protocol.js';

/** The commands counted apart; anything else (CACHE, BLOCK_STATUS, unknown) is 'other'. */
export const NBD_OPERATIONS = ['read', 'write', 'flush', 'trim', 'write_zeroes', 'other'] as const;
export type NbdOperation = (typeof NBD_OPERATIONS)[number];

export interface NbdOperationCounts {
  requests: number;
  errors: number;
  bytes: number;
}

function operationOf(type: number): NbdOperation {
  switch (type) {
    case Command.Read:
      return 'read';
    case Command.Write:
      return 'write';
    case Command.Flush:
      return 'flush';
    case Command.Trim:
      return 'trim';
    case Command.WriteZeroes:
      return 'write_zeroes';
    default:
      return 'other';
  }
}

export class NbdCounters {
  readonly operations: Record<NbdOperation, NbdOperationCounts> = Object.fromEntries(
    NBD_OPERATIONS.map((name) => [name, { requests: 0, errors: 0, bytes: 0 }]),
  ) as Record<NbdOperation, NbdOperationCounts>;
  /** Requests started at the device and not answered yet (all connections). */
  inFlight = 0;

  /** One request answered: `error` is its NBD error (0 = success); bytes count only for successful READs and WRITEs. */
  answered(type: number, length: number, error: number): void {
    const counts = this.operations[operationOf(type)];
    counts.requests++;
    if (error !== 0) counts.errors++;
    else if (type === Command.Read || type === Command.Write) counts.bytes += length;
  }

  snapshot(): Record<NbdOperation, NbdOperationCounts> {
    return Object.fromEntries(NBD_OPERATIONS.map((name) => [name, { ...this.operations[name] }])) as Record<
      NbdOperation,
      NbdOperationCounts
    >;
  }
}
