// What the hand-off micro-benchmark's two sides share: the methods, the worker's setup, the request message, the control words.

/**
 * How a request's bytes cross between the thread that owns the caller's buffers and a data-path worker:
 * - sab-message: a SharedArrayBuffer slab, one slot per request in flight; small postMessage notices both ways.
 * - sab-atomics: the same slab; slot numbers through a ring in shared memory, Atomics.notify / waitAsync, no messages.
 * - transfer: an ArrayBuffer per slot moved to the worker and back with a transfer list (no copy by postMessage).
 * - clone: the bytes themselves in the message (structured clone copies them).
 */
export type HandoffMethod = 'sab-message' | 'sab-atomics' | 'transfer' | 'clone';
export const HANDOFF_METHODS: HandoffMethod[] = ['sab-message', 'sab-atomics', 'transfer', 'clone'];

export interface HandoffSetup {
  method: HandoffMethod;
  size: number;
  slots: number;
  slab?: SharedArrayBuffer;
  control?: SharedArrayBuffer;
}

export interface HandoffRequest {
  slot: number;
  write: boolean;
  buffer?: ArrayBuffer;
  bytes?: Uint8Array;
}

/** Int32 words at the start of the control buffer (sab-atomics); the request ring and the completion ring follow. */
export const Control = { RequestTail: 0, CompletionTail: 1, Stop: 2 } as const;
export const CONTROL_SLOTS = 4;
/** Every byte of the caller's buffers, and of the worker's frames: each side checks that the other's bytes arrived. */
export const CALLER_BYTE = 7;
export const FRAME_BYTE = 0x5a;
