// Control-plane requests over a LinkPort: request/reply with retries and broadcast collection, frames built with src/wire.
import { AOE_ARG_OFFSET, BROADCAST_MAC, BROADCAST_SHELF, BROADCAST_SLOT, ETHERNET_MIN_FRAME } from '../wire/constants.js';
import { hasAoeError, readAoeError, readSourceMac, writeHeader } from '../wire/frame-header.js';
import { aoeReplyError, InitiatorError } from './errors.js';
import type { LinkPort } from './port.js';

/** Where a control-plane request goes: one local port, one target MAC (or broadcast), one shelf.slot. */
export interface RequestTarget {
  port: LinkPort;
  mac: number;
  shelf: number;
  slot: number;
}

export interface RequestOptions {
  timeoutMs?: number;
  retries?: number;
  /** When set, the timeout doubles after every unanswered try, up to this (a lost frame costs little, a slow target is not flooded). */
  maxTimeoutMs?: number;
  /** Human name of the request for error messages. */
  what?: string;
}

/**
 * Writes a request's argument into `frame` (whose header is already written) and returns the frame length up to
 * the end of the argument: the src/wire argument writers (writeConfigArg, writeAtaRequest, ...) have this shape.
 */
export type ArgumentWriter = (frame: Buffer) => number;

/** Room for the largest request: a READ padded to a 16 KiB reply (MTU probing). */
const REQUEST_FRAME_SIZE = AOE_ARG_OFFSET + 16384;

function buildFrame(target: RequestTarget, command: number, tag: number, writeArgument: ArgumentWriter): { frame: Buffer; length: number } {
  const frame = Buffer.alloc(REQUEST_FRAME_SIZE);
  writeHeader(frame, 0, target.mac, target.port.link.mac, 0, target.shelf, target.slot, command, tag);
  const length = Math.max(ETHERNET_MIN_FRAME, writeArgument(frame));
  return { frame, length };
}

/**
 * Send a request and resolve with the first reply that `accept` takes (default: any reply with our tag).
 * Retries on timeout; AoE error replies reject with ERR_AOE_<name>; no reply at all rejects with ERR_AOE_TIMEOUT.
 */
export function request(
  target: RequestTarget,
  command: number,
  writeArgument: ArgumentWriter,
  options: RequestOptions = {},
  accept: (reply: Buffer) => boolean = () => true,
): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? 250;
  const retries = options.retries ?? 3;
  const what = options.what ?? `command ${command}`;
  const port = target.port;
  const tag = port.allocateControlTag();
  const { frame, length } = buildFrame(target, command, tag, writeArgument);
  return new Promise<Buffer>((resolve, reject) => {
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: Error | undefined, reply?: Buffer) => {
      if (timer) clearTimeout(timer);
      port.unlisten(tag);
      if (error) reject(error);
      else resolve(reply as Buffer);
    };
    port.listen(tag, (reply) => {
      if (target.mac !== BROADCAST_MAC && readSourceMac(reply, 0) !== target.mac) return;
      if (hasAoeError(reply, 0)) {
        finish(aoeReplyError(readAoeError(reply, 0), what));
        return;
      }
      if (accept(reply)) finish(undefined, reply);
    });
    const attempt = () => {
      if (attempts > retries) {
        finish(
          new InitiatorError(
            'ERR_AOE_TIMEOUT',
            `${what}: no reply from e${target.shelf}.${target.slot} via ${port.link.name} after ${attempts} tries`,
          ),
        );
        return;
      }
      const wait = options.maxTimeoutMs ? Math.min(options.maxTimeoutMs, timeoutMs * 2 ** attempts) : timeoutMs;
      attempts += 1;
      port.sendNow(frame, length);
      timer = setTimeout(attempt, wait);
    };
    attempt();
  });
}

/** Broadcast (or unicast) a request and collect every reply with its tag for `windowMs`. */
export function collect(
  port: LinkPort,
  command: number,
  writeArgument: ArgumentWriter,
  windowMs: number,
  destination = BROADCAST_MAC,
  shelf = BROADCAST_SHELF,
  slot = BROADCAST_SLOT,
): Promise<Buffer[]> {
  const tag = port.allocateControlTag();
  const { frame, length } = buildFrame({ port, mac: destination, shelf, slot }, command, tag, writeArgument);
  const replies: Buffer[] = [];
  port.listen(tag, (reply) => replies.push(reply));
  // Send three times (start, 1/4 and 1/2 of the window) so a lost broadcast or reply does not hide a target.
  port.sendNow(frame, length);
  const resends = [1, 2].map((step) => setTimeout(() => port.sendNow(frame, length), Math.max(1, Math.floor((windowMs * step) / 4))));
  return new Promise((resolve) => {
    setTimeout(() => {
      for (const resend of resends) clearTimeout(resend);
      port.unlisten(tag);
      resolve(replies);
    }, windowMs);
  });
}
