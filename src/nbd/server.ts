// The NBD server: listens on a unix socket or TCP (loopback by default) and serves one block device to a bounded number of connections.
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { silentLogger, type Logger } from '../log.js';
import type { BlockDevice } from './block-device.js';
import { BlockIo } from './block-io.js';
import { ByteBudget } from './budget.js';
import { BufferPool } from './buffer-pool.js';
import { NbdConnection } from './connection.js';
import { NbdCounters, type NbdOperation, type NbdOperationCounts } from './counters.js';
import type { ExportInfo } from './handshake.js';
import { IoScheduler } from './io-scheduler.js';
import { CHUNK_BYTES, resolveLimits, type NbdLimits } from './limits.js';

/** The limits (see NbdLimits for each default) are options too: maxRequestBytes, connectionBufferBytes, serverBufferBytes, maxConnections, queueDepth, deviceQueueBytes. */
export interface NbdServerOptions extends Partial<NbdLimits> {
  device: BlockDevice;
  /** Export name (NBD_OPT_GO / EXPORT_NAME / LIST). The empty name also selects it. Default ''. */
  name?: string;
  description?: string;
  readOnly?: boolean;
  logger?: Logger;
}

export interface NbdServerStats {
  connections: number;
  totalConnections: number;
  refusedConnections: number;
  /** Bytes charged to the server's budget right now (buffers in flight, replies not taken by clients). */
  bytesInFlight: number;
  /** Bytes of request chunks at the device right now. */
  deviceBytes: number;
  /** Chunks dropped because their connection closed before they reached the device. */
  cancelledChunks: number;
  /** Free read buffers kept for reuse. */
  pooledBytes: number;
  /** Reply bytes written to sockets and not yet taken by them (all connections). */
  bufferedReplyBytes: number;
  /** Requests at the device and not answered yet (all connections). */
  requestsInFlight: number;
  /** Requests answered, errors and bytes moved, by command. */
  operations: Record<NbdOperation, NbdOperationCounts>;
}

export type NbdListen = { socket: string } | { host?: string; port: number };

export interface NbdAddress {
  socket?: string;
  host?: string;
  port?: number;
}

export class NbdServer {
  readonly exported: ExportInfo;
  readonly limits: NbdLimits;
  private readonly io: BlockIo;
  private readonly pool = new BufferPool();
  private readonly scheduler: IoScheduler;
  private readonly budget: ByteBudget;
  private readonly connections = new Set<NbdConnection>();
  private readonly counters = new NbdCounters();
  private readonly server: net.Server;
  private readonly logger: Logger;
  private socketPath: string | undefined;
  private connectionCount = 0;
  private refusedCount = 0;

  /** Throws ERR_NBD_OPTIONS when a limit is out of range. */
  constructor(options: NbdServerOptions) {
    const { device, name, description, readOnly, logger, ...limits } = options;
    this.limits = resolveLimits(limits);
    this.exported = {
      name: name ?? '',
      description: description ?? 'aoekit',
      size: device.size,
      readOnly: readOnly ?? false,
      maxRequestBytes: this.limits.maxRequestBytes,
    };
    this.logger = logger ?? silentLogger;
    this.io = new BlockIo(device, this.pool);
    this.scheduler = new IoScheduler({ maxIssuedBytes: this.limits.deviceQueueBytes, chunkBytes: CHUNK_BYTES });
    this.budget = new ByteBudget(this.limits.serverBufferBytes);
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Start listening. A stale unix socket file left by a dead server is replaced. */
  async listen(where: NbdListen): Promise<NbdAddress> {
    if ('socket' in where) {
      if (existsSync(where.socket) && lstatSync(where.socket).isSocket()) unlinkSync(where.socket);
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(where.socket, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
      this.socketPath = where.socket;
      return { socket: where.socket };
    }
    const host = where.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(where.port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
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

  stats(): NbdServerStats {
    return {
      connections: this.connections.size,
      totalConnections: this.connectionCount,
      refusedConnections: this.refusedCount,
      bytesInFlight: this.budget.used,
      deviceBytes: this.scheduler.issuedBytes,
      cancelledChunks: this.scheduler.cancelled,
      pooledBytes: this.pool.pooledBytes,
      bufferedReplyBytes: [...this.connections].reduce((sum, connection) => sum + connection.bufferedReplyBytes, 0),
      requestsInFlight: this.counters.inFlight,
      operations: this.counters.snapshot(),
    };
  }

  /** Stop accepting, let each connection finish its requests in flight, then close it (destroyed after `graceMs`). */
  async close(graceMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.shutdown();
    const timer = setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
    if (this.socketPath && existsSync(this.socketPath)) {
      try {
        unlinkSync(this.socketPath);
      } catch {
        /* already gone */
      }
    }
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= this.limits.maxConnections) {
      // Refused before the greeting: the client sees the connection close at once.
      this.refusedCount += 1;
      this.logger.warn({ limit: this.limits.maxConnections, refused: this.refusedCount }, 'nbd connection refused: too many connections');
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.connectionCount += 1;
    const connection = new NbdConnection(
      socket,
      {
        exported: this.exported,
        io: this.io,
        pool: this.pool,
        scheduler: this.scheduler,
        limits: this.limits,
        serverBudget: this.budget,
        counters: this.counters,
        logger: this.logger,
      },
      (done) => {
        this.connections.delete(done);
        // With no client left, the free buffers kept for reuse go back to the allocator.
        if (this.connections.size === 0) this.pool.clear();
        this.logger.debug({ connections: this.connections.size }, 'nbd client disconnected');
      },
    );
    this.connections.add(connection);
    this.logger.debug({ connections: this.connections.size }, 'nbd client connected');
  }
}
