// A BlockStore over an NBD export (nbdkit, qemu-nbd, ...): the NBD client behind the store interface, errors as errno codes.
import type { Logger } from '../log.js';
import { NbdClient, type NbdClientOptions } from '../nbd/client.js';
import { parseNbdUri } from '../nbd/uri.js';
import { StoreError, type BlockStore, type FlushCallback, type IoCallback } from './block-store.js';

export interface NbdStoreOptions extends Omit<NbdClientOptions, 'logger'> {
  readOnly?: boolean;
  /** vblade -s: every write is sent with NBD_CMD_FLAG_FUA, so it is durable before it is acknowledged. */
  sync?: boolean;
  /** vblade -d has no meaning for NBD; refused so that nobody believes it did something. */
  direct?: boolean;
  logger?: Logger;
}

/** AoE sectors are 512 bytes: the server must accept requests of that granularity. */
const SECTOR = 512;

/**
 * Errors reach the target as the file store's do: an Error whose `code` is an errno name (EIO, ENOSPC, EPERM, ...,
 * the NBD error the server sent), so read failures become ATA UNC and write/flush failures ATA ABRT. The client
 * latches the first failed write or flush and fails every later flush with it, and never re-sends a failed FLUSH.
 */
export class NbdStore implements BlockStore {
  readonly size: number;
  readonly readOnly: boolean;
  readonly synchronous = false;
  readonly description: string;

  private constructor(
    readonly client: NbdClient,
    readOnly: boolean,
    private readonly fua: boolean,
  ) {
    const details = client.details;
    this.size = client.size;
    this.readOnly = readOnly;
    const traits = [
      readOnly ? (details.readOnly ? 'read-only export' : 'read-only') : 'read-write',
      `${client.connections.length} connection${client.connections.length === 1 ? '' : 's'}${details.canMultiConn ? ' (multi-conn)' : ''}`,
      details.structuredReplies ? 'structured replies' : 'simple replies',
      fua ? 'FUA writes' : '',
    ].filter(Boolean);
    this.description = `nbd ${client.target.uri} (${traits.join(', ')})`;
  }

  /** Connect and negotiate; throws errors with codes (ENOENT for a missing socket or export, ECONNREFUSED, EINVAL, ...). */
  static async open(uri: string, options: NbdStoreOptions = {}): Promise<NbdStore> {
    if (options.direct) throw new StoreError('-d (O_DIRECT) does not apply to an NBD export', 'EINVAL');
    const target = parseNbdUri(uri);
    const client = await NbdClient.open(target, options);
    try {
      const details = client.details;
      if (details.minimumBlock > SECTOR) {
        throw new StoreError(
          `${uri}: the server's minimum block size is ${details.minimumBlock} bytes; AoE needs 512-byte sectors`,
          'EINVAL',
        );
      }
      if (details.maximumPayload < SECTOR) {
        throw new StoreError(`${uri}: the server's maximum payload of ${details.maximumPayload} bytes is below one sector`, 'EINVAL');
      }
      const readOnly = Boolean(options.readOnly) || details.readOnly;
      if (options.sync && !readOnly && !details.canFua) {
        throw new StoreError(`${uri}: the server does not support FUA, which -s (sync) needs`, 'EINVAL');
      }
      if (!readOnly && !details.canFlush) {
        options.logger?.warn({ nbd: uri }, 'the NBD server offers no FLUSH: AoE FLUSH CACHE cannot make its writes durable');
      }
      return new NbdStore(client, readOnly, Boolean(options.sync) && !readOnly);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  read(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    this.client.read(buf, bufOffset, length, position, callback);
  }

  write(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    if (this.readOnly) {
      callback(new StoreError('store is read-only', 'EROFS'), 0);
      return;
    }
    this.client.write(buf, bufOffset, length, position, this.fua, callback);
  }

  flush(callback: FlushCallback): void {
    if (this.readOnly) {
      process.nextTick(callback, null);
      return;
    }
    this.client.flush(callback);
  }

  close(): Promise<void> {
    if (process.env.AOEKIT_NBD_DEBUG) process.stderr.write(`${JSON.stringify(this.client.stats())}\n`);
    return this.client.close();
  }
}
