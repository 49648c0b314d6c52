// Runs the built CLIs (dist/cli/*.js, from `npm run build:ts`) and collects exit code, stdout and stderr; never rejects.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const DIST_CLI = fileURLToPath(new URL('../../dist/cli/', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(bin: 'aoe' | 'aoe-discover' | 'aoeblade', argv: string[], timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`${DIST_CLI}${bin}.js`, ...argv],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A usage or runtime error as every aoekit command prints it: the message line, at most a hint line, no stack trace. */
export function expectOneLineError(result: CliRun): string[] {
  const lines = result.stderr.trim().split('\n');
  if (lines.length > 2 || /^\s+at /m.test(result.stderr)) throw new Error(`not a one-line error:\n${result.stderr}`);
  return lines;
}
