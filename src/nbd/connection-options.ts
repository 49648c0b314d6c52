// The handshake half of one NBD server connection: the client flags, then options until one enters transmission or ends the connection.
import type { Socket } from 'node:net';
import type { ByteQueue } from './byte-queue.js';
import { handleOption, type ExportInfo } from './handshake.js';
import { ClientFlag, MAX_OPTION_LENGTH, NBD_OPTS_MAGIC, OPTION_HEADER_LENGTH } from './protocol.js';

/** Stop reading options while this many handshake reply bytes wait in the socket (a client that never reads them). */
const HANDSHAKE_OUTPUT_LIMIT = 256 * 1024;
const KNOWN_CLIENT_FLAGS = ClientFlag.FixedNewstyle | ClientFlag.NoZeroes;

/** What one step left: parse on, wait for bytes, wait for the socket to drain, a phase change, or a protocol violation. */
export type OptionStep = 'continue' | 'need-input' | 'blocked' | 'transmission' | 'close' | { violation: string };

export class OptionPhase {
  private flagsRead = false;
  private noZeroes = false;
  private pending: { option: number; length: number } | undefined;

  constructor(
    private readonly input: ByteQueue,
    private readonly socket: Socket,
    private readonly exported: ExportInfo,
  ) {}

  step(): OptionStep {
    return this.flagsRead ? this.option() : this.clientFlags();
  }

  private clientFlags(): OptionStep {
    if (this.input.length < 4) return 'need-input';
    const flags = this.input.take(4).readUInt32BE(0);
    if ((flags & ~KNOWN_CLIENT_FLAGS) !== 0) return { violation: `unknown client flags 0x${flags.toString(16)}` };
    this.noZeroes = (flags & ClientFlag.NoZeroes) !== 0;
    this.flagsRead = true;
    return 'continue';
  }

  private option(): OptionStep {
    if (this.socket.writableLength > HANDSHAKE_OUTPUT_LIMIT) return 'blocked'; // 'drain' brings us back
    if (!this.pending) {
      if (this.input.length < OPTION_HEADER_LENGTH) return 'need-input';
      const header = this.input.take(OPTION_HEADER_LENGTH);
      if (header.readBigUInt64BE(0) !== NBD_OPTS_MAGIC) return { violation: 'bad option magic' };
      const length = header.readUInt32BE(12);
      if (length > MAX_OPTION_LENGTH) return { violation: `option of ${length} bytes is too long` };
      this.pending = { option: header.readUInt32BE(8), length };
    }
    const { option, length } = this.pending;
    if (this.input.length < length) return 'need-input';
    this.pending = undefined;
    const outcome = handleOption(this.exported, option, this.input.take(length), this.noZeroes);
    for (const reply of outcome.replies) this.socket.write(reply);
    if (outcome.next === 'close') return 'close';
    if (outcome.next === 'transmission') return 'transmission';
    return 'continue';
  }
}
