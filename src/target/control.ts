// Control commands for one export: Query Config (AoEr11 §3.2), Mac Mask List (§3.3) and Reserve/Release (§3.4).
import {
  AOE_VERSION, AoeError, CONFIG_STRING_MAX, ConfigCommand, DirectiveCommand, MaskCommand, MaskError, ReserveCommand,
} from '../wire/constants.js';
import { readMac, writeMac } from '../wire/mac.js';
import type { NicEngine } from './engine.js';
import { MASK_LIST_MAX, RESERVE_LIST_MAX, type ExportRuntime } from './export.js';

/** Fill the Query Config argument + string at frame offset 24; returns the frame length. */
export function writeConfigReply(engine: NicEngine, runtime: ExportRuntime, frame: Buffer, configCommand: number): number {
  frame.writeUInt16BE(runtime.bufferCount, 24);
  frame.writeUInt16BE(runtime.firmwareVersion, 26);
  frame[28] = engine.maxSectors; // per NIC: follows this link's MTU
  frame[29] = (AOE_VERSION << 4) | configCommand;
  frame.writeUInt16BE(runtime.configLength, 30);
  runtime.configString.copy(frame, 32, 0, runtime.configLength);
  return 32 + runtime.configLength;
}

/** Query Config: read/test/prefix/set/force-set. Test and prefix mismatches get no answer; set on a present string gets error 4. */
export function handleConfig(engine: NicEngine, runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
  if (length < 32) {
    engine.counters.malformed++;
    return;
  }
  const configCommand = slab[offset + 29] & 0x0f;
  const stringLength = (slab[offset + 30] << 8) | slab[offset + 31];
  if (stringLength > CONFIG_STRING_MAX) {
    engine.replyError(runtime, slab, offset, length, AoeError.BadArgument);
    return;
  }
  if (length < 32 + stringLength) {
    engine.counters.malformed++;
    return;
  }
  const start = offset + 32;
  switch (configCommand) {
    case ConfigCommand.Read:
      break;
    case ConfigCommand.Test:
      if (stringLength !== runtime.configLength || slab.compare(runtime.configString, 0, stringLength, start, start + stringLength) !== 0) {
        runtime.counters.configSilent++;
        return;
      }
      break;
    case ConfigCommand.TestPrefix:
      if (stringLength > runtime.configLength || slab.compare(runtime.configString, 0, stringLength, start, start + stringLength) !== 0) {
        runtime.counters.configSilent++;
        return;
      }
      break;
    case ConfigCommand.Set:
      if (runtime.configLength !== 0) {
        engine.replyError(runtime, slab, offset, length, AoeError.ConfigStringPresent);
        return;
      }
      runtime.setConfigString(slab.subarray(start, start + stringLength));
      break;
    case ConfigCommand.ForceSet:
      runtime.setConfigString(slab.subarray(start, start + stringLength));
      break;
    default:
      engine.replyError(runtime, slab, offset, length, AoeError.BadArgument);
      return;
  }
  const slot = engine.acquire(runtime);
  if (slot === null) return;
  engine.startReply(slot, runtime, slab, offset);
  engine.queue(slot, writeConfigReply(engine, runtime, slot.frame, configCommand));
}

/** Write a MAC list as 8-byte entries from frame offset `at`; returns the end offset. */
function writeMaskList(frame: Buffer, at: number, list: number[]): number {
  for (const mac of list) {
    frame[at] = 0;
    frame[at + 1] = DirectiveCommand.None;
    writeMac(frame, at + 2, mac);
    at += 8;
  }
  return at;
}

/** Mac Mask List read/edit. Directives apply in order, all or none: on the first bad one nothing changes and the reply carries MError and its index. */
export function handleMask(engine: NicEngine, runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
  if (length < 28) {
    engine.counters.malformed++;
    return;
  }
  const maskCommand = slab[offset + 25];
  const directiveCount = slab[offset + 27];
  let maskError: number = MaskError.None;
  let failedIndex = 0;
  if (maskCommand === MaskCommand.Edit) {
    if (length < 28 + directiveCount * 8) {
      engine.counters.malformed++;
      return;
    }
    // All or nothing: directives are applied to a copy, which replaces the list only if every one succeeded.
    const list = runtime.macMask;
    const next = list.slice();
    for (let i = 0; i < directiveCount; i++) {
      const at = offset + 28 + i * 8;
      const directive = slab[at + 1];
      const mac = readMac(slab, at + 2);
      const index = next.indexOf(mac);
      if (directive === DirectiveCommand.None) continue;
      if (directive === DirectiveCommand.Add) {
        if (index >= 0) continue;
        if (next.length >= MASK_LIST_MAX) {
          maskError = MaskError.ListFull;
          failedIndex = i;
          break;
        }
        next.push(mac);
      } else if (directive === DirectiveCommand.Delete) {
        if (index >= 0) next.splice(index, 1);
      } else {
        maskError = MaskError.BadDirective;
        failedIndex = i;
        break;
      }
    }
    const changed = maskError === MaskError.None && (next.length !== list.length || next.some((mac, i) => mac !== list[i]));
    if (changed) {
      list.length = 0;
      for (const mac of next) list.push(mac);
      runtime.onChange(runtime);
    }
  } else if (maskCommand !== MaskCommand.Read) {
    maskError = MaskError.Unspecified;
  }
  const slot = engine.acquire(runtime);
  if (slot === null) return;
  const frame = slot.frame;
  engine.startReply(slot, runtime, slab, offset);
  frame[24] = 0;
  frame[25] = maskCommand;
  frame[26] = maskError;
  if (maskError !== MaskError.None) {
    frame[27] = failedIndex;
    engine.queue(slot, 28);
    return;
  }
  frame[27] = runtime.macMask.length;
  engine.queue(slot, writeMaskList(frame, 28, runtime.macMask));
}

/** Reserve/Release: read, set (only when free or the sender holds it, else error 6), force set; an empty list releases. */
export function handleReserve(engine: NicEngine, runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
  if (length < 26) {
    engine.counters.malformed++;
    return;
  }
  const reserveCommand = slab[offset + 24];
  const macCount = slab[offset + 25];
  if (reserveCommand > ReserveCommand.ForceSet || macCount > RESERVE_LIST_MAX) {
    engine.replyError(runtime, slab, offset, length, AoeError.BadArgument);
    return;
  }
  if (length < 26 + macCount * 6) {
    engine.counters.malformed++;
    return;
  }
  if (reserveCommand !== ReserveCommand.Read) {
    if (reserveCommand === ReserveCommand.Set && !runtime.reservationAllows(readMac(slab, offset + 6))) {
      runtime.counters.reservedDenied++;
      engine.replyError(runtime, slab, offset, length, AoeError.TargetReserved);
      return;
    }
    const list: number[] = [];
    for (let i = 0; i < macCount; i++) {
      const mac = readMac(slab, offset + 26 + i * 6);
      if (!list.includes(mac)) list.push(mac);
    }
    runtime.reservation = list;
    runtime.onChange(runtime);
  }
  const slot = engine.acquire(runtime);
  if (slot === null) return;
  const frame = slot.frame;
  engine.startReply(slot, runtime, slab, offset);
  frame[24] = reserveCommand;
  frame[25] = runtime.reservation.length;
  let at = 26;
  for (const mac of runtime.reservation) {
    writeMac(frame, at, mac);
    at += 6;
  }
  engine.queue(slot, at);
}
