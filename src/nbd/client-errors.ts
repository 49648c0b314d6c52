// The NBD client's error type: a stable errno-style or ERR_NBD_* code, and the NBD error value when the server sent one.
import { nbdErrorName } from './protocol.js';

export class NbdClientError extends Error {
  readonly code: string;
  /** The NBD error value the server replied with, when the error came from a reply. */
  readonly nbdError: number | undefined;
  constructor(message: string, code: string, nbdError?: number) {
    super(message);
    this.name = 'NbdClientError';
    this.code = code;
    this.nbdError = nbdError;
  }
}

/** An error for a request the server failed: the code is the errno name of its NBD error ('EIO', 'ENOSPC', 'EPERM', ...). */
export function replyError(operation: string, position: number, length: number, nbdError: number, message = ''): NbdClientError {
  const code = nbdErrorName(nbdError);
  const detail = message === '' ? '' : `: ${message}`;
  return new NbdClientError(`NBD ${operation} of ${length} bytes at ${position} failed with ${code}${detail}`, code, nbdError);
}
