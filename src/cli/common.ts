// Shared CLI plumbing: the user-error type, the one-line error printer, --version and the bin entry runner.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { packageVersion } from '../package-info.js';
import { configurePlainHelp } from './help.js';

/** An expected user error: printed as one line plus a usage hint, exit code 2 by default. */
export class UsageError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(message: string, options: { code?: string; exitCode?: number; hint?: string } = {}) {
    super(message);
    this.name = 'UsageError';
    this.code = options.code ?? 'ERR_USAGE';
    this.exitCode = options.exitCode ?? 2;
    this.hint = options.hint;
  }
  readonly hint: string | undefined;
}

/**
 * Errors whose `code` is a runtime condition get one line too (no stack): every errno name (ENOENT, EISDIR, ENOMEM,
 * EADDRINUSE, ...) and our own codes. Anything else (a TypeError, Node's ERR_INVALID_ARG_TYPE) is a bug: stack.
 */
const ONE_LINE_CODES = new Set(['ERR_CONFIG']);
const ONE_LINE_PREFIXES = ['ERR_AOE_', 'ERR_ATA_', 'ERR_NBD_', 'ERR_AOEKIT_'];

function oneLineCode(code: string): boolean {
  return /^E[A-Z0-9]+$/.test(code) || ONE_LINE_CODES.has(code) || ONE_LINE_PREFIXES.some((prefix) => code.startsWith(prefix));
}

/** A message as one line: whatever newlines it carries become '; '. */
function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, '; ');
}

/** Print an error the way every aoekit command does, and set process.exitCode. */
export function reportError(program: string, error: unknown): void {
  if (error instanceof CommanderError) {
    // commander already printed its message (and help on --help, which exits 0).
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`${program}: ${oneLine(error.message)}\n`);
    process.stderr.write(`${error.hint ?? `Try '${program} --help'.`}\n`);
    process.exitCode = error.exitCode;
    return;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && oneLineCode(code)) {
    process.stderr.write(`${program}: ${oneLine(error.message)} (${code})\n`);
    const hint = (error as { hint?: unknown }).hint;
    if (typeof hint === 'string') process.stderr.write(`${hint}\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`${program}: unexpected error\n${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}

/** 'aoe serve' for a subcommand, as the user typed it. */
function fullName(command: Command): string {
  return command.parent ? `${fullName(command.parent)} ${command.name()}` : command.name();
}

/** Make commander throw instead of exiting, and print usage errors as one line plus a hint. */
export function configureProgram(program: Command): Command {
  program.exitOverride();
  configurePlainHelp(program);
  program.configureOutput({
    writeErr: (text) => process.stderr.write(text),
    outputError: (text, write) =>
      write(`${fullName(program)}: ${text.replace(/^error: /, '').trim()}\nTry '${fullName(program)} --help'.\n`),
  });
  return program;
}

/** `-V, --version`: prints the package version (package.json) and exits 0. For the bins' top-level programs. */
export function withVersion(program: Command): Command {
  return program.version(packageVersion(), '-V, --version', 'print the aoekit version and exit');
}

/** The body of every bin entry: `runMain('aoe', main)`. */
export function runMain(program: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => reportError(program, error));
}

/**
 * True when the module at `moduleUrl` is the script node was started with (`node dist/cli/aoe.js`), false when it
 * was imported (by a bin entry under cli/bin, or by the man page generator, which only wants the program definition).
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Parse an integer option strictly (no trailing garbage, within bounds). */
export function parseInteger(text: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text.trim())) throw new UsageError(`${name} must be an integer, got '${text}'`);
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be between ${min} and ${max}, got '${text}'`);
  }
  return value;
}

/** Parse sizes like 512, 4k, 64M, 1G, 1GiB (powers of 1024). */
export function parseSize(text: string, name: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`${name} must be a size like 4k, 64M or 1G, got '${text}'`);
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const value = Math.round(Number(match[1]) * scale);
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`${name} is out of range: '${text}'`);
  return value;
}
