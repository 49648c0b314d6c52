// Mac Mask List (AoEr11 §3.3) for one export: read, and edits applied all or nothing.
import { AOE_ERROR_FOR_CODE } from '../wire/errors.js';
import { readSourceMac } from '../wire/frame-header.js';
import { DirectiveCommand, MaskCommand, MaskError } from '../wire/constants.js';
import {
  maskCommand,
  maskDirectiveCommand,
  maskDirectiveCount,
  maskDirectiveMac,
  maskRequestProblem,
  writeMaskArg,
  type MaskDirective,
} from '../wire/mask-arg.js';
import type { NicEngine } from './engine.js';
import { MASK_LIST_MAX, type ExportRuntime } from './export.js';

/**
 * Applies the request's directives, in order, to a copy of the list. Returns the new list, or the MError and the
 * index of the failing directive (nothing changes then).
 */
function applyDirectives(list: readonly number[], slab: Buffer, offset: number): { list: number[] } | { error: number; index: number } {
  const next = list.slice();
  const count = maskDirectiveCount(slab, offset);
  for (let index = 0; index < count; index++) {
    const directive = maskDirectiveCommand(slab, offset, index);
    if (directive === DirectiveCommand.None) continue;
    const mac = maskDirectiveMac(slab, offset, index);
    const at = next.indexOf(mac);
    if (directive === DirectiveCommand.Add) {
      if (at >= 0) continue;
      if (next.length >= MASK_LIST_MAX) return { error: MaskError.ListFull, index };
      next.push(mac);
    } else if (directive === DirectiveCommand.Delete) {
      if (at >= 0) next.splice(at, 1);
    } else {
      return { error: MaskError.BadDirective, index };
    }
  }
  return { list: next };
}

/** Mac Mask List read/edit. An edit that fails at a directive changes nothing; the reply carries MError and its index. */
export function handleMask(engine: NicEngine, runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
  const problem = maskRequestProblem(slab, offset, length);
  if (problem !== undefined) {
    const aoeError = AOE_ERROR_FOR_CODE[problem];
    if (aoeError === undefined) engine.counters.malformed++;
    else engine.replyError(runtime, slab, offset, length, aoeError);
    return;
  }
  const command = maskCommand(slab, offset);
  let failure: { error: number; index: number } | undefined;
  if (command === MaskCommand.Edit) {
    // Read, apply and write back in one step under the shared state's lock: two NICs editing at once lose nothing.
    const result = runtime.editMask(
      (current) => {
        const applied = applyDirectives(current, slab, offset);
        return 'error' in applied ? { refused: applied } : applied;
      },
      readSourceMac(slab, offset),
    );
    if ('refused' in result) failure = result.refused;
  }
  const reply = engine.acquire(runtime, slab, offset);
  if (reply === null) return;
  const list: MaskDirective[] = failure ? [] : runtime.macMask.map((mac) => ({ command: DirectiveCommand.None, mac }));
  engine.queue(reply, writeMaskArg(reply.frame, 0, command, failure?.error ?? MaskError.None, list, failure?.index ?? 0));
}
