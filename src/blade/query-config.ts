// Query Config (AoEr11 §3.2) for one export: read, test, test prefix, set, force set; and the reply the announcement shares.
import { configCommand, configRequestProblem, configStringLength, configStringOffset, writeConfigArg } from '../wire/config-arg.js';
import { AOE_VERSION, AoeError, ConfigCommand } from '../wire/constants.js';
import { AOE_ERROR_FOR_CODE } from '../wire/errors.js';
import { readSourceMac } from '../wire/frame-header.js';
import type { NicEngine } from './engine.js';
import type { ExportRuntime } from './export.js';

/** Writes the Query Config reply argument + string into `frame` (at 0); returns the frame length. */
export function writeConfigReply(engine: NicEngine, runtime: ExportRuntime, frame: Buffer, command: number): number {
  // The sector count is per NIC: it follows this link's MTU.
  return writeConfigArg(
    frame,
    0,
    runtime.bufferCount,
    runtime.firmwareVersion,
    engine.maxSectors,
    AOE_VERSION,
    command,
    runtime.configString,
    runtime.configLength,
  );
}

/** True when the request's string equals (`prefix` false) or starts (`prefix` true) the export's config string. */
function stringMatches(runtime: ExportRuntime, slab: Buffer, start: number, length: number, prefix: boolean): boolean {
  if (prefix ? length > runtime.configLength : length !== runtime.configLength) return false;
  return slab.compare(runtime.configString, 0, length, start, start + length) === 0;
}

/** Query Config: test and prefix mismatches get no answer; set on a present string gets error 4 (ConfigStringPresent). */
export function handleConfig(engine: NicEngine, runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
  const problem = configRequestProblem(slab, offset, length);
  if (problem !== undefined) {
    const aoeError = AOE_ERROR_FOR_CODE[problem];
    if (aoeError === undefined) engine.counters.malformed++;
    else engine.replyError(runtime, slab, offset, length, aoeError);
    return;
  }
  const command = configCommand(slab, offset);
  const start = configStringOffset(offset);
  const stringLength = configStringLength(slab, offset);
  switch (command) {
    case ConfigCommand.Test:
    case ConfigCommand.TestPrefix:
      if (!stringMatches(runtime, slab, start, stringLength, command === ConfigCommand.TestPrefix)) {
        runtime.counters.configSilent++;
        return;
      }
      break;
    case ConfigCommand.Set:
      // Only when no string is set, checked and set in one step (another NIC may be setting one right now).
      if (!runtime.setConfigStringIfEmpty(slab.subarray(start, start + stringLength), readSourceMac(slab, offset))) {
        engine.replyError(runtime, slab, offset, length, AoeError.ConfigStringPresent);
        return;
      }
      break;
    case ConfigCommand.ForceSet:
      runtime.setConfigString(slab.subarray(start, start + stringLength), true, readSourceMac(slab, offset));
      break;
    default: // ConfigCommand.Read (anything else was refused by the check above)
      break;
  }
  const reply = engine.acquire(runtime, slab, offset);
  if (reply !== null) engine.queue(reply, writeConfigReply(engine, runtime, reply.frame, command));
}
