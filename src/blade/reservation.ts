// Reserve/Release (AoEr11 §3.4) for one export: read, set (only when free or the sender holds it), force set; an empty list releases.
import { AoeError, ReserveCommand } from '../wire/constants.js';
import { AOE_ERROR_FOR_CODE } from '../wire/errors.js';
import { readSourceMac } from '../wire/frame-header.js';
import { reserveCommand, reserveMac, reserveMacCount, reserveRequestProblem, writeReserveArg } from '../wire/reserve-arg.js';
import type { NicEngine } from './engine.js';
import { AuditKind } from './audit.js';
import { RESERVE_LIST_MAX, type ExportRuntime } from './export.js';

export function handleReserve(engine: NicEngine, runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
  const problem = reserveRequestProblem(slab, offset, length);
  if (problem !== undefined) {
    const aoeError = AOE_ERROR_FOR_CODE[problem];
    if (aoeError === undefined) engine.counters.malformed++;
    else engine.replyError(runtime, slab, offset, length, aoeError);
    return;
  }
  const command = reserveCommand(slab, offset);
  const count = reserveMacCount(slab, offset);
  if (count > RESERVE_LIST_MAX) {
    engine.replyError(runtime, slab, offset, length, AoeError.BadArgument);
    return;
  }
  if (command !== ReserveCommand.Read) {
    const initiator = readSourceMac(slab, offset);
    const list: number[] = [];
    for (let index = 0; index < count; index++) {
      const mac = reserveMac(slab, offset, index);
      if (!list.includes(mac)) list.push(mac);
    }
    // Set: only when free or held by the sender, checked and changed in one step; force set: always.
    if (command === ReserveCommand.Set && !runtime.setReservationIfAllowed(list, initiator)) {
      runtime.counters.reservedDenied++;
      runtime.audit.denied(AuditKind.ReservationDenied, initiator);
      engine.replyError(runtime, slab, offset, length, AoeError.TargetReserved);
      return;
    }
    if (command === ReserveCommand.ForceSet) runtime.setReservation(list, initiator);
  }
  const reply = engine.acquire(runtime, slab, offset);
  if (reply !== null) engine.queue(reply, writeReserveArg(reply.frame, 0, command, runtime.reservation));
}
