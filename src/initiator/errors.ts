// Initiator error type and the mapping from AoE error replies / ATA status to stable error codes.
import { AoeError, AtaErrorBit } from '../wire/constants.js';
import { WireErrorCode } from '../wire/errors.js';

/** An initiator failure with a stable `code` (ERR_AOE_*, ERR_ATA_*). */
export class InitiatorError extends Error {
  readonly code: string;
  /** The ATA error register of the reply, for ERR_ATA_* errors. */
  readonly ataErrorRegister: number | undefined;
  constructor(code: string, message: string, ataErrorRegister?: number) {
    super(message);
    this.name = 'InitiatorError';
    this.code = code;
    this.ataErrorRegister = ataErrorRegister;
  }
}

const AOE_ERROR_NAMES: Record<number, string> = {
  [AoeError.UnrecognizedCommand]: 'UNRECOGNIZED_COMMAND',
  [AoeError.BadArgument]: 'BAD_ARGUMENT',
  [AoeError.DeviceUnavailable]: 'DEVICE_UNAVAILABLE',
  [AoeError.ConfigStringPresent]: 'CONFIG_STRING_PRESENT',
  [AoeError.UnsupportedVersion]: 'UNSUPPORTED_VERSION',
  [AoeError.TargetReserved]: 'RESERVED',
};

/** AoEr11 §2 error field -> ERR_AOE_<NAME> (error 6 -> ERR_AOE_RESERVED). */
export function aoeErrorCode(error: number): string {
  return `ERR_AOE_${AOE_ERROR_NAMES[error] ?? `ERROR_${error}`}`;
}

export function aoeReplyError(error: number, what: string): InitiatorError {
  return new InitiatorError(
    aoeErrorCode(error),
    `${what}: target replied with AoE error ${error} (${AOE_ERROR_NAMES[error]?.toLowerCase().replace(/_/g, ' ') ?? 'unknown'})`,
  );
}

/** ATA error register -> ERR_ATA_IDNF / ERR_ATA_ABORT / ERR_ATA_UNC / ERR_ATA_ERROR. */
export function ataErrorCode(errorRegister: number): string {
  if (errorRegister & AtaErrorBit.IdNotFound) return 'ERR_ATA_IDNF';
  if (errorRegister & AtaErrorBit.Uncorrectable) return 'ERR_ATA_UNC';
  if (errorRegister & AtaErrorBit.Abort) return 'ERR_ATA_ABORT';
  return 'ERR_ATA_ERROR';
}

export function ataReplyError(status: number, errorRegister: number, what: string): InitiatorError {
  const hex = (value: number) => `0x${value.toString(16).padStart(2, '0')}`;
  return new InitiatorError(ataErrorCode(errorRegister), `${what}: ATA status ${hex(status)} error ${hex(errorRegister)}`, errorRegister);
}

/**
 * A reply whose argument fails the shared src/wire check (the *ArgProblem functions): ERR_AOE_SHORT_FRAME when it
 * is cut short of what it announces, else ERR_AOE_BAD_REPLY naming the wire code. The wire code itself is not used
 * as the code: ERR_AOE_RESERVED already means AoE error 6 (target reserved) here.
 */
export function badReplyError(problem: WireErrorCode, what: string): InitiatorError {
  if (problem === WireErrorCode.ShortArg)
    return new InitiatorError('ERR_AOE_SHORT_FRAME', `${what}: the reply is shorter than its argument announces`);
  return new InitiatorError('ERR_AOE_BAD_REPLY', `${what}: malformed reply argument (${problem})`);
}
