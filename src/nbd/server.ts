// The NBD server: listens on a unix socket or TCP (loopback by default) and serves one block device to many connections.
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { silentLogger, type Logger } from '../log.js';
import type { BlockDevice } from './block-device.js';
import { BlockIo } from './block-io.js';
import { BufferPool } from './buffer-pool.js';
import { NbdConnection } from './connection.js';
import type { ExportInfo } from './handshake.js';

export interface NbdServerOptions {
  device: BlockDevice;
  /** Export name (NBD_OPT_GO / EXPORT_NAME / LIST). The empty name also selects it. Default ''. */
  name?: string;
  description?: string;
  readOnly?: boolean;
  /** Requests in flight per connection. Default 32. */
  queueDepth?: number;
  logger?: Logger;
}

export type NbdListen = { socket: string } | { host?: string; port: number };

export interface NbdAddress {
  socket?: string;
  host?: string;
  port?: number;
}

export class NbdServer {
  readonly exported: ExportInfo;
  private readonly io: BlockIo;
  private readonly pool = new BufferPool();
  private readonly connections = new Set<NbdConnection>();
  private readonly server: net.Server;
  private readonly logger: Logger;
  private readonly queueDepth: number;
  private socketPath: string | undefined;
  private connectionCount = 0;

  constructor(options: NbdServerOptions) {
    this.exported = { name: options.name ?? '', description: options.description ?? 'aoekit', size: options.device.size, readOnly: options.readOnly ?? false };
    this.logger = options.logger ?? silentLogger;
    this.queueDepth = options.queueDepth ?? 32;
    this.io = new BlockIo(options.device, this.pool);
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Start listening. A stale unix socket file left by a dead server is replaced. */
  async listen(where: NbdListen): Promise<NbdAddress> {
    if ('socket' in where) {
      if (existsSync(where.socket) && lstatSync(where.socket).isSocket()) unlinkSync(where.socket);
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(where.socket, () => { this.server.off('error', reject); resolve(); });
      });
      this.socketPath = where.socket;
      return { socket: where.socket };
    }
    const host = where.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(where.port, host, () => { this.server.off('error', reject); resolve(); });
    });
    const address = this.server.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  get totalConnections(): number {
    return this.connectionCount;
  }

  /** Stop accepting, let each connection finish its requests in flight, then close it (destroyed after `graceMs`). */
  async close(graceMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.shutdown();
    const timer = setTimeout(() => { for (const connection of this.connections) connection.destroy(); }, graceMs);
    await closed;
    clearTimeout(timer);
    if (this.socketPath && existsSync(this.socketPath)) {
      try { unlinkSync(this.socketPath); } catch { /* already gone */ }
    }
  }

  private accept(socket: net.Socket): void {
    this.connectionCount += 1;
    const connection = new NbdConnection(socket, {
      exported: this.exported, io: this.io, pool: this.pool, queueDepth: this.queueDepth, logger: this.logger,
    }, (done) => {
      this.connections.delete(done);
      this.logger.debug({ connections: this.connections.size }, 'nbd client disconnected');
    });
    this.connections.add(connection);
    this.logger.debug({ connections: this.connections.size }, 'nbd client connected');
  }
}
