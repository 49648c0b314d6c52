// Audit lines for control-state changes and access denials: at most one per kind and export per second, with a suppressed count.
import type { Logger } from '../log.js';
import { formatMac } from '../wire/mac.js';
import type { ExportRuntime } from './export.js';

/** What an audit line is about. Changes: config string, mask list, reservation; denials: mask list, reservation. */
export const AuditKind = { ConfigString: 0, Mask: 1, Reservation: 2, MaskDenied: 3, ReservationDenied: 4 } as const;
export type AuditKind = (typeof AuditKind)[keyof typeof AuditKind];

const KIND_NAMES = ['configString', 'mask', 'reservation', 'maskDenied', 'reservationDenied'] as const;
const KINDS = KIND_NAMES.length;
/** Each kind of each export logs at most once per this period; what happens meanwhile is summed up when it ends. */
export const AUDIT_INTERVAL_MS = 1000;
/** The initiator MAC of a change that did not come from the wire. */
export const NO_INITIATOR = -1;

/** What the target engine calls; the default does nothing (an export outside a server, in tests). */
export interface AuditTrail {
  /** A request refused by the mask list or a reservation. Cheap while muted: two stores, no clock, no allocation. */
  denied(kind: AuditKind, initiatorMac: number): void;
  /** The export's config string, mask list or reservation was set by `initiatorMac`. */
  changed(kind: AuditKind, initiatorMac: number): void;
  /** Log what is still held back and stop the timer. */
  close(): void;
}

export const NO_AUDIT: AuditTrail = { denied() {}, changed() {}, close() {} };

const CHANGE_WORDS = ['config string set', 'mask list changed', 'reservation changed'];
const DENIAL_WORDS = ['not on the mask list', 'reserved by another initiator'];

/**
 * The first event of a kind is logged at once and mutes the kind; a timer (one per export, running only while
 * something is muted) then logs, once per period, one summary line with the number of events held back, or
 * unmutes the kind when nothing happened. A flood of denied frames thus costs a counter per frame, never a line.
 */
export class ExportAudit implements AuditTrail {
  private readonly muted = new Uint8Array(KINDS);
  private readonly suppressed = new Float64Array(KINDS);
  private readonly lastInitiator = new Float64Array(KINDS);
  /** The control state as last logged (the `before` of the next change line). */
  private readonly logged: unknown[];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly runtime: ExportRuntime,
    private readonly logger: Logger,
    private readonly intervalMs = AUDIT_INTERVAL_MS,
  ) {
    this.logged = [this.state(AuditKind.ConfigString), this.state(AuditKind.Mask), this.state(AuditKind.Reservation)];
  }

  denied(kind: AuditKind, initiatorMac: number): void {
    if (this.muted[kind] === 1) {
      this.suppressed[kind]++;
      this.lastInitiator[kind] = initiatorMac;
      return;
    }
    this.logDenial(kind, initiatorMac, 0);
    this.mute(kind);
  }

  changed(kind: AuditKind, initiatorMac: number): void {
    if (this.muted[kind] === 1) {
      this.suppressed[kind]++;
      this.lastInitiator[kind] = initiatorMac;
      return;
    }
    if (this.logChange(kind, initiatorMac, 0)) this.mute(kind);
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.summarize(true);
  }

  private mute(kind: AuditKind): void {
    this.muted[kind] = 1;
    this.suppressed[kind] = 0;
    if (this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.intervalMs);
      this.timer.unref();
    }
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    if (this.summarize(false)) {
      this.timer = setTimeout(this.onTimer, this.intervalMs);
      this.timer.unref();
    }
  };

  /** One line per kind that held events back; kinds with nothing held are unmuted. Returns true while any stays muted. */
  private summarize(closing: boolean): boolean {
    let anyMuted = false;
    for (let kind = 0 as AuditKind; kind < KINDS; kind++) {
      if (this.muted[kind] === 0) continue;
      const held = this.suppressed[kind];
      this.suppressed[kind] = 0;
      if (held === 0 || closing) this.muted[kind] = 0;
      else anyMuted = true;
      if (held === 0) continue;
      if (kind >= AuditKind.MaskDenied) this.logDenial(kind, this.lastInitiator[kind], held);
      else this.logChange(kind, this.lastInitiator[kind], held, true);
    }
    return anyMuted;
  }

  private logDenial(kind: AuditKind, initiatorMac: number, suppressed: number): void {
    const name = this.runtime.name;
    const initiator = formatMac(initiatorMac);
    const reason = DENIAL_WORDS[kind - AuditKind.MaskDenied];
    const message =
      suppressed === 0
        ? `${name}: denied a request from ${initiator}: ${reason}`
        : `${name}: denied ${suppressed} more requests (last from ${initiator}): ${reason}`;
    this.logger.warn({ audit: KIND_NAMES[kind], target: name, initiator, suppressed }, message);
  }

  /** Log a change unless the state is what was last logged (a set to the same value). Returns true when it logged. */
  private logChange(kind: AuditKind, initiatorMac: number, suppressed: number, summary = false): boolean {
    const after = this.state(kind);
    const before = this.logged[kind];
    if (!summary && JSON.stringify(after) === JSON.stringify(before)) return false;
    this.logged[kind] = after;
    const name = this.runtime.name;
    const initiator = initiatorMac === NO_INITIATOR ? null : formatMac(initiatorMac);
    const by = initiator === null ? '' : ` by ${initiator}`;
    const message =
      suppressed === 0 ? `${name}: ${CHANGE_WORDS[kind]}${by}` : `${name}: ${CHANGE_WORDS[kind]} ${suppressed} more times (last${by})`;
    this.logger.info({ audit: KIND_NAMES[kind], target: name, initiator, before, after, suppressed }, message);
    return true;
  }

  private state(kind: AuditKind): unknown {
    const runtime = this.runtime;
    if (kind === AuditKind.ConfigString) return runtime.configString.subarray(0, runtime.configLength).toString('utf8');
    if (kind === AuditKind.Mask) return runtime.macMask.map(formatMac);
    return runtime.reservation.map(formatMac);
  }
}
