// The target server: many shelf.slot exports on many NICs in one process, with state persistence, stats and a control socket.
import { isExportShelf, isExportSlot, SHELF_MAX, SLOT_MAX } from '../wire/address.js';
import { ConfigError } from './config-error.js';
import fs from 'node:fs/promises';
import type { Link } from '../link/link.js';
import { silentLogger, type Logger } from '../log.js';
import { startMetricsServer, type MetricsServer } from '../metrics/http-server.js';
import type { ListenAddress } from '../metrics/listen.js';
import { renderTargetMetrics } from '../metrics/target-metrics.js';
import { flushAsync } from '../store/block-store.js';
import { openControlSocket, type ControlSocket } from './control-socket.js';
import { NicEngine } from './engine.js';
import { ExportAudit } from './audit.js';
import { ExportRuntime, type ExportOptions } from './export.js';
import { loadExportState, makeStateDirectory, removeDirectories, saveExportState, stateFilePath, StatePersister } from './state-store.js';
import type { ExportStatsSnapshot, TargetStats } from './stats.js';
import { WorkerPool } from './worker-pool.js';
import type { NicFacts, StoreSpec } from './worker-protocol.js';
import { addShares } from './worker-stats.js';

export interface TargetOptions {
  exports: ExportOptions[];
  /** Links by interface name (tests: MemoryLink). Links given here are not closed by stop() unless closeLinks is true. */
  links?: Map<string, Link> | Record<string, Link>;
  /** Opens a link for an interface name not in `links` (the CLI: openPacketLink). Links opened this way are closed by stop(). */
  openLink?: (name: string) => Promise<Link>;
  /** Persist config string, mask list and reservations here (one JSON file per export). */
  stateDir?: string;
  logger?: Logger;
  /** Broadcast an unsolicited Query Config response per export on each NIC at start and when a link comes up (default true). */
  announce?: boolean;
  /** Log a stats line every N seconds (0/undefined = off). */
  statsIntervalSeconds?: number;
  /** Unix socket answering {"cmd":"stats"} lines with JSON. */
  controlSocket?: string;
  /** Serve Prometheus metrics at http://HOST:PORT/metrics (port 0: the kernel picks one, see Target.metricsAddress). */
  metricsListen?: ListenAddress;
  /** Response frames per NIC (default max(64, 4 x sum of buffer counts)). */
  poolSize?: number;
  closeLinks?: boolean;
  /** Close the stores on stop (default true). */
  closeStores?: boolean;
  /**
   * Serve the NICs from worker threads: each thread opens its share of the NICs (by name, inside `netns`) and its
   * own handles on the stores (`stores`, in the order of `exports`). Only with more than one thread; `links` and
   * `openLink` are then not used for serving.
   */
  workers?: { count: number; netns: string | undefined; stores: StoreSpec[]; logLevel: string };
}

export interface Target {
  readonly exports: readonly ExportRuntime[];
  /** The engines of this thread (none when worker threads serve the NICs). */
  readonly engines: readonly NicEngine[];
  /** Every NIC served, with its MAC, MTU and sectors per frame (whichever thread serves it). */
  nics(): NicFacts[];
  /** Where /metrics is served once started with metricsListen, else undefined. */
  readonly metricsAddress: ListenAddress | undefined;
  start(): Promise<void>;
  /** Stop receiving, finish requests in flight, write state, flush stores, close links/stores. */
  stop(): Promise<void>;
  /** Counters as last known: this thread's now, worker threads' as of their last report (at most 250 ms old). */
  stats(): TargetStats;
  /** Counters as of now: worker threads are asked first (the control socket and /metrics use this). */
  freshStats(): Promise<TargetStats>;
  /** Log one stats line (SIGUSR1 / --stats-interval). */
  logStats(): void;
}

export function validateExports(exports: ExportOptions[]): void {
  if (exports.length === 0) throw new ConfigError('no exports configured');
  const seen = new Set<string>();
  exports.forEach((options, index) => {
    if (!isExportShelf(options.shelf)) throw new ConfigError(`exports[${index}].shelf must be 0..${SHELF_MAX}`);
    if (!isExportSlot(options.slot)) throw new ConfigError(`exports[${index}].slot must be 0..${SLOT_MAX}`);
    if (!options.interfaces?.length) throw new ConfigError(`exports[${index}].interfaces must name at least one interface`);
    for (const name of options.interfaces) {
      const key = `${name}/${options.shelf}.${options.slot}`;
      if (seen.has(key)) throw new ConfigError(`exports[${index}]: e${options.shelf}.${options.slot} is exported twice on ${name}`);
      seen.add(key);
    }
  });
}

export function createTarget(options: TargetOptions): Target {
  validateExports(options.exports);
  const logger = options.logger ?? silentLogger;
  const announce = options.announce ?? true;
  const exports = options.exports.map((exportOptions) => new ExportRuntime(exportOptions));
  for (const runtime of exports) {
    runtime.onWriteFailure = (failed, error) =>
      logger.error(
        { err: error, target: failed.name, code: failed.writeFailure?.code },
        `${failed.name}: write failed (${failed.writeFailure?.code}); every FLUSH fails from now on until the export is reopened`,
      );
  }
  const engines: NicEngine[] = [];
  const ownedLinks: Link[] = [];
  const startedAt = Date.now();
  let persister: StatePersister | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let controlSocket: ControlSocket | undefined;
  let metricsServer: MetricsServer | undefined;
  let started = false;
  let stopped = false;
  let pool: WorkerPool | undefined;
  const useWorkers = options.workers !== undefined && options.workers.count > 1;

  const given = options.links instanceof Map ? options.links : new Map(Object.entries(options.links ?? {}));

  async function linkFor(name: string): Promise<Link> {
    const existing = given.get(name);
    if (existing) return existing;
    if (!options.openLink) throw Object.assign(new Error(`no link for interface ${name}`), { code: 'ERR_AOE_NO_INTERFACE' });
    const link = await options.openLink(name);
    given.set(name, link);
    ownedLinks.push(link);
    return link;
  }

  /** Worker threads serving `names`; their reports of changes and failures land in this thread's exports. */
  function startPool(names: string[]): Promise<WorkerPool> {
    const workers = options.workers as NonNullable<TargetOptions['workers']>;
    return WorkerPool.start({
      count: workers.count,
      nics: names,
      netns: workers.netns,
      exports,
      stores: workers.stores,
      poolSize: options.poolSize,
      announce,
      logger,
      logLevel: workers.logLevel,
      onChanged: (index) => exports[index].onChange(exports[index]),
      onWriteFailure: (index, code, message) =>
        logger.error(
          { target: exports[index].name, code, message },
          `${exports[index].name}: write failed (${code}); every FLUSH fails from now on until the export is reopened`,
        ),
    });
  }

  const target: Target = {
    exports,
    engines,
    get metricsAddress() {
      return metricsServer?.address;
    },
    /**
     * Cheap, local things first (state directory, control socket), then the NICs. A start that fails closes and
     * removes whatever it had made (directories it created, the control socket, links it opened) and throws.
     */
    async start() {
      if (started) throw new Error('target already started');
      started = true;
      const names = [...new Set(exports.flatMap((runtime) => runtime.interfaces))];
      let createdDirectories: string[] = [];
      try {
        if (options.stateDir) {
          createdDirectories = await makeStateDirectory(options.stateDir);
          for (const [index, runtime] of exports.entries()) {
            const state = await loadExportState(options.stateDir, runtime.shelf, runtime.slot);
            if (state) runtime.restoreState(state, options.exports[index]);
          }
        }
        // Audit from here on: the state restored and given on the command line is the "before" of the first change.
        for (const runtime of exports) runtime.audit = new ExportAudit(runtime, logger);
        if (options.controlSocket) controlSocket = await openControlSocket(options.controlSocket, () => target.freshStats());
        if (options.metricsListen)
          metricsServer = await startMetricsServer(options.metricsListen, async () => renderTargetMetrics(await target.freshStats()));
        if (useWorkers) pool = await startPool(names);
        else
          for (const name of names) {
            const link = await linkFor(name);
            const served = exports.filter((runtime) => runtime.interfaces.includes(name));
            engines.push(new NicEngine(link, served, { logger, poolSize: options.poolSize, announce }));
          }
        if (options.stateDir) {
          const stateDir = options.stateDir;
          // The files reflect the state we start with (CLI overrides included); a directory we cannot write fails the start.
          for (const runtime of exports) await saveExportState(stateDir, runtime);
          persister = new StatePersister(stateDir, (error, runtime) =>
            logger.error({ err: error, target: runtime.name }, 'cannot save export state'),
          );
          for (const runtime of exports) runtime.onChange = (changed) => persister?.schedule(changed);
        }
      } catch (error) {
        await metricsServer?.close();
        metricsServer = undefined;
        await controlSocket?.close();
        controlSocket = undefined;
        await Promise.allSettled(ownedLinks.map((link) => link.close()));
        if (options.stateDir && createdDirectories.length > 0) {
          // Everything in a directory this start made is ours to take back.
          for (const runtime of exports) await fs.rm(stateFilePath(options.stateDir, runtime.shelf, runtime.slot), { force: true });
          await removeDirectories(createdDirectories);
        }
        throw error;
      }
      for (const engine of engines) {
        engine.link.on('error', (error: Error) => logger.warn({ err: error, nic: engine.link.name }, 'link error'));
        engine.start();
        if (announce) engine.announce();
      }
      if (options.statsIntervalSeconds && options.statsIntervalSeconds > 0) {
        statsTimer = setInterval(() => target.logStats(), options.statsIntervalSeconds * 1000);
        statsTimer.unref();
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (statsTimer) clearInterval(statsTimer);
      await Promise.all(engines.map((engine) => engine.stop()));
      await pool?.stop();
      for (const runtime of exports) runtime.audit.close();
      await persister?.idle();
      const writable = exports.filter((runtime) => !runtime.readOnly);
      const flushes = await Promise.allSettled(writable.map((runtime) => flushAsync(runtime.store)));
      flushes.forEach((result, index) => {
        const runtime = writable[index];
        if (result.status === 'rejected') logger.error({ err: result.reason, target: runtime.name }, 'flush on stop failed');
        else if (runtime.writeFailure !== null) {
          logger.error(
            { target: runtime.name, code: runtime.writeFailure.code },
            `${runtime.name}: a write failed while serving (${runtime.writeFailure.code}): data may be lost`,
          );
        }
      });
      await metricsServer?.close();
      await controlSocket?.close();
      const toClose = options.closeLinks ? [...given.values()] : ownedLinks;
      await Promise.allSettled(toClose.map((link) => link.close()));
      if (options.closeStores ?? true) await Promise.allSettled(exports.map((runtime) => runtime.store.close()));
    },
    async freshStats() {
      await pool?.refresh();
      return target.stats();
    },
    stats() {
      return {
        time: new Date().toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        exports: exports.map((runtime, index): ExportStatsSnapshot => {
          const own = { counters: { ...runtime.counters }, latency: runtime.latency.snapshot() };
          const { counters, latency } = addShares([own, ...(pool?.exportShares(index) ?? [])]);
          return {
            ...counters,
            shelf: runtime.shelf,
            slot: runtime.slot,
            target: runtime.name,
            sizeBytes: runtime.store.size,
            writeFailure: runtime.writeFailure,
            latency,
          };
        }),
        nics: [...engines.map((engine) => engine.stats()), ...(pool?.nicStats() ?? [])],
      };
    },
    nics() {
      if (pool !== undefined) return pool.nics();
      return engines.map((engine) => ({
        name: engine.link.name,
        mac: engine.link.mac,
        mtu: engine.link.mtu,
        sectorCount: engine.maxSectors,
      }));
    },
    logStats() {
      logger.info({ stats: target.stats() }, 'stats');
    },
  };
  return target;
}
