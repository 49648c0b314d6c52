// Window filling of a device: which byte ranges go out next and on which path (retries first, then new chunks).
import type { RetryQueue } from './loss.js';
import type { Operation } from './operation.js';
import type { Path } from './path.js';
import type { Policy } from './policy.js';
import type { FrameTable } from './frame-table.js';

/**
 * Build frames while frame entries are free and the policy finds a path with window space: retries first (preferably on
 * another path than the one that lost them), then new chunks of `pending` operations in submission order
 * (operations waiting for an overlapping earlier one are skipped; finished ones are dropped from `pending`).
 * Every frame of the call gets the send time `now`: the port sends them together in one native call.
 */
export function fillWindows(
  frames: FrameTable,
  policy: Policy,
  paths: readonly Path[],
  retries: RetryQueue,
  pending: Operation[],
  lba48: boolean,
  now: number,
): void {
  while (retries.length > 0 && frames.hasFree()) {
    const at = retries.head;
    const op = retries.op[at] as Operation;
    if (op.done) {
      retries.shift();
      continue;
    }
    const index = policy.pick(paths, retries.avoid[at]);
    if (index < 0) break;
    const bytes = Math.min(retries.bytes[at], paths[index].payloadBytes);
    frames.issue(paths[index], op, retries.opOffset[at], bytes, lba48, now);
    retries.opOffset[at] += bytes;
    retries.bytes[at] -= bytes;
    if (retries.bytes[at] === 0) retries.shift();
  }
  if (retries.length > 0) return;
  let position = 0;
  while (position < pending.length && frames.hasFree()) {
    const op = pending[position];
    if (op.done || op.issued >= op.length) {
      pending.splice(position, 1);
      continue;
    }
    if (op.waitFor > 0) {
      position += 1;
      continue;
    }
    const index = policy.pick(paths, -1);
    if (index < 0) break;
    const bytes = Math.min(op.length - op.issued, paths[index].payloadBytes);
    frames.issue(paths[index], op, op.issued, bytes, lba48, now);
    op.issued += bytes;
  }
}
