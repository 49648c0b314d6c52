// Why the NBD client refuses an operation before it is queued: closed or offline, read-only, out of range, unaligned.
import { NbdClientError } from './client-errors.js';
import { type Operation, RequestKind } from './client-requests.js';
import type { NbdClient } from './client.js';

/** The error an operation gets at once, or null when it may be queued. */
export function refusalOf(client: NbdClient, operation: Operation): NbdClientError | null {
  if (client.state === 'closing' || client.state === 'closed') return new NbdClientError('the NBD client is closed', 'ESHUTDOWN');
  if (client.state === 'offline') return client.recovery.offlineError();
  if (operation.kind === RequestKind.Flush) return null;
  const { length, position } = operation;
  if (operation.kind === RequestKind.Write && client.readOnly) return new NbdClientError('the NBD export is read-only', 'EPERM');
  if (!Number.isSafeInteger(position) || position < 0 || length < 0 || position + length > client.size) {
    return new NbdClientError(`${length} bytes at ${position} lie outside the ${client.size}-byte NBD export`, 'EINVAL');
  }
  const block = client.details.minimumBlock;
  if (position % block !== 0 || length % block !== 0)
    return new NbdClientError(`the NBD server needs ${block}-byte aligned requests`, 'EINVAL');
  return null;
}
