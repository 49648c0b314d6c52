// Control-plane requests over a LinkPort: request/reply with retries, broadcast collection, header writing.
import {
  AOE_ARG_OFFSET, AOE_VERSION, BROADCAST_MAC, BROADCAST_SHELF, BROADCAST_SLOT, ETHERNET_MIN_FRAME, ETHERTYPE_AOE, FLAG_ERROR,
} from '../wire/constants.js';
import { writeMac } from '../wire/mac.js';
import { aoeReplyError, InitiatorError } from './errors.js';
import type { LinkPort } from './port.js';

/** Where a control request goes: one local port, one target MAC (or broadcast), one shelf.slot. */
export interface ControlTarget {
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

/** Write Ethernet + AoE header (AoEr11 §2) for a request; returns the argument offset (24). */
export function writeRequestHeader(
  frame: Buffer, destination: number, source: number, shelf: number, slot: number, command: number, tag: number,
): number {
  writeMac(frame, 0, destination);
  writeMac(frame, 6, source);
  frame.writeUInt16BE(ETHERTYPE_AOE, 12);
  frame[14] = AOE_VERSION << 4;
  frame[15] = 0;
  frame.writeUInt16BE(shelf, 16);
  frame[18] = slot;
  frame[19] = command;
  frame.writeUInt32BE(tag >>> 0, 20);
  return AOE_ARG_OFFSET;
}

function buildFrame(target: ControlTarget, command: number, tag: number, writeArg: (frame: Buffer, offset: number) => number): { frame: Buffer; length: number } {
  const frame = Buffer.alloc(AOE_ARG_OFFSET + 16384); // room for padded MTU probes
  writeRequestHeader(frame, target.mac, target.port.link.mac, target.shelf, target.slot, command, tag);
  const length = Math.max(ETHERNET_MIN_FRAME, AOE_ARG_OFFSET + writeArg(frame, AOE_ARG_OFFSET));
  return { frame, length };
}

/** True when the reply has the AoE error flag set. */
export function isErrorReply(frame: Buffer): boolean {
  return (frame[14] & FLAG_ERROR) !== 0;
}

/**
 * Send a request and resolve with the first reply that `accept` takes (default: any reply with our tag).
 * Retries on timeout; AoE error replies reject with ERR_AOE_<name>; no reply at all rejects with ERR_AOE_TIMEOUT.
 */
export function request(
  target: ControlTarget, command: number, writeArg: (frame: Buffer, offset: number) => number,
  options: RequestOptions = {}, accept: (reply: Buffer) => boolean = () => true,
): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? 250;
  const retries = options.retries ?? 3;
  const what = options.what ?? `command ${command}`;
  const port = target.port;
  const tag = port.allocateControlTag();
  const { frame, length } = buildFrame(target, command, tag, writeArg);
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
      if (target.mac !== BROADCAST_MAC && reply.readUIntBE(6, 6) !== target.mac) return;
      if (isErrorReply(reply)) {
        finish(aoeReplyError(reply[15], what));
        return;
      }
      if (accept(reply)) finish(undefined, reply);
    });
    const attempt = () => {
      if (attempts > retries) {
        finish(new InitiatorError('ERR_AOE_TIMEOUT', `${what}: no reply from e${target.shelf}.${target.slot} via ${port.link.name} after ${attempts} tries`));
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
  port: LinkPort, command: number, writeArg: (frame: Buffer, offset: number) => number,
  windowMs: number, destination = BROADCAST_MAC, shelf = BROADCAST_SHELF, slot = BROADCAST_SLOT,
): Promise<Buffer[]> {
  const tag = port.allocateControlTag();
  const { frame, length } = buildFrame({ port, mac: destination, shelf, slot }, command, tag, writeArg);
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
