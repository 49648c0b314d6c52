// Starts a target from a ServeConfig on real NICs (stores, MTUs, packet links, export facts logged); a failed start undoes it all.
import { realpathSync } from 'node:fs';
import { interfaceInfo, openPacketLink, setMtu } from '../link/index.js';
import { silentLogger, type Logger } from '../log.js';
import type { BlockStore } from '../store/block-store.js';
import { availableParallelism } from 'node:os';
import { isNbdUri } from '../nbd/uri.js';
import { MemoryStore } from '../store/memory-store.js';
import { openStoreAsync } from '../store/open-store.js';
import { WindowStore } from '../store/window-store.js';
import type { StoreSpec } from './worker-protocol.js';
import { formatListenAddress } from '../metrics/listen.js';
import { formatMac } from '../wire/mac.js';
import { ConfigError, type ServeConfig } from './serve-config.js';
import { createTarget, type Target } from './server.js';

function setInterfaceMtu(name: string, mtu: number, netns: string | undefined): void {
  try {
    setMtu(name, mtu, netns);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const hint =
      (code === 'EPERM' || code === 'EACCES') && !message.includes('CAP_NET_ADMIN')
        ? ' (setting the MTU needs CAP_NET_ADMIN: run as root or drop --mtu)'
        : '';
    const failure = `cannot set the MTU of ${name} to ${mtu}: ${message}${hint}`;
    throw code === undefined ? new ConfigError(failure) : Object.assign(new Error(failure), { code });
  }
}

/** Names the data behind an export: the real path and window; a RAM disk is new in every process. */
function identityKey(item: ServeConfig['exports'][number]): string {
  let path = item.path;
  if (path.startsWith('ram:')) path = `${path}#${process.pid}`;
  else {
    try {
      path = realpathSync(path);
    } catch {
      // not a local path (opened fine all the same): keep what the user wrote
    }
  }
  return `${path}@${item.offset ?? 0}+${item.length ?? 'end'}`;
}

/** The MTU a NIC has now (so that a failed start can put it back). */
function currentMtu(name: string, netns: string | undefined): number {
  try {
    return interfaceInfo(name, netns).mtu;
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ENODEV';
    throw Object.assign(new Error(`cannot use NIC ${name}: ${(error as Error).message}`), { code });
  }
}

/** Put back the MTUs a failed start changed (best effort: a NIC that vanished meanwhile is skipped). */
function restoreMtus(changed: Array<{ name: string; mtu: number }>, netns: string | undefined, logger: Logger): void {
  for (const { name, mtu } of [...changed].reverse()) {
    try {
      setMtu(name, mtu, netns);
    } catch (error) {
      logger.warn({ err: error, nic: name, mtu }, 'cannot restore the MTU');
    }
  }
}

/**
 * Worker threads for `config`: as asked (0: one per NIC up to the CPU count), never more than NICs, and one (the
 * main thread) when an export is NBD-backed (its client's reconnect and replay state cannot be split over threads).
 */
function workerCount(config: ServeConfig, interfaceCount: number, logger: Logger): number {
  const asked = config.workers ?? 1;
  const wanted = asked === 0 ? Math.min(interfaceCount, availableParallelism()) : asked;
  const count = Math.max(1, Math.min(wanted, interfaceCount));
  if (count > 1 && config.exports.some((item) => isNbdUri(item.path))) {
    logger.info({ workers: count }, 'NBD-backed exports are served from one thread: not using worker threads');
    return 1;
  }
  return count;
}

/** How a worker thread opens the same store: the same file again, or the same RAM disk's shared memory. */
function storeSpec(item: ServeConfig['exports'][number], store: BlockStore): StoreSpec {
  const window = { offsetSectors: item.offset, lengthSectors: item.length };
  const ram = item.path.startsWith('ram:') ? unwindow(store) : undefined;
  if (ram instanceof MemoryStore && ram.sharedChunks !== undefined) {
    return { kind: 'ram', size: ram.size, chunks: ram.sharedChunks, readOnly: Boolean(item.readOnly), ...window };
  }
  return {
    kind: 'file',
    path: item.path,
    readOnly: Boolean(item.readOnly),
    sync: Boolean(item.sync),
    direct: Boolean(item.direct),
    ...window,
  };
}

/** The store under a window (-o/-l), or the store itself. */
function unwindow(store: BlockStore): BlockStore {
  return store instanceof WindowStore ? store.inner : store;
}

/**
 * Open everything and start serving. On failure, whatever was opened is closed again and MTUs changed by --mtu are
 * restored, so a failed start leaves nothing behind.
 */
export async function launchTarget(config: ServeConfig, logger: Logger = silentLogger): Promise<Target> {
  const interfaceCount = new Set(config.exports.flatMap((item) => item.interfaces)).size;
  const workers = workerCount(config, interfaceCount, logger);
  const stores: BlockStore[] = [];
  try {
    for (const item of config.exports) {
      stores.push(
        await openStoreAsync(item.path, {
          readOnly: item.readOnly,
          sync: item.sync,
          direct: item.direct,
          offsetSectors: item.offset,
          lengthSectors: item.length,
          logger,
          sharedRam: workers > 1,
        }),
      );
    }
  } catch (error) {
    await Promise.allSettled(stores.map((store) => store.close()));
    // A window (-o/-l) that does not fit the backing file is a configuration mistake: one line, not a stack trace.
    if ((error as { code?: string }).code === 'ERANGE') throw new ConfigError((error as Error).message);
    throw error;
  }
  const interfaces = [...new Set(config.exports.flatMap((item) => item.interfaces))];
  const changedMtus: Array<{ name: string; mtu: number }> = [];
  try {
    if (config.mtu !== undefined) {
      for (const name of interfaces) {
        const before = currentMtu(name, config.netns);
        if (before === config.mtu) continue;
        setInterfaceMtu(name, config.mtu, config.netns);
        changedMtus.push({ name, mtu: before });
      }
    }
  } catch (error) {
    restoreMtus(changedMtus, config.netns, logger);
    await Promise.allSettled(stores.map((store) => store.close()));
    throw error;
  }
  const target = createTarget({
    exports: config.exports.map((item, index) => ({ ...item, store: stores[index], identityKey: identityKey(item) })),
    openLink: (name) => openPacketLink(name, { netns: config.netns, filter: 'requests' }),
    stateDir: config.stateDir,
    statsIntervalSeconds: config.statsInterval,
    controlSocket: config.controlSocket,
    metricsListen: config.metricsListen,
    announce: config.announce ?? true,
    logger,
    workers:
      workers > 1
        ? {
            count: workers,
            netns: config.netns,
            stores: config.exports.map((item, index) => storeSpec(item, stores[index])),
            logLevel: logger.level,
          }
        : undefined,
  });
  try {
    await target.start();
  } catch (error) {
    restoreMtus(changedMtus, config.netns, logger);
    await Promise.allSettled(stores.map((store) => store.close()));
    throw error;
  }
  const nicFacts = target.nics();
  for (const runtime of target.exports) {
    const nics = nicFacts
      .filter((nic) => runtime.interfaces.includes(nic.name))
      .map((nic) => `${nic.name} (${formatMac(nic.mac)}, MTU ${nic.mtu}, ${nic.sectorCount} sectors/frame)`);
    logger.info(
      {
        target: runtime.name,
        store: runtime.store.description,
        sectors: runtime.sectors,
        bytes: runtime.store.size,
        readOnly: runtime.readOnly,
        bufferCount: runtime.bufferCount,
        nics,
        threads: workers,
        macMask: runtime.macMask.map(formatMac),
        configString: runtime.configString.subarray(0, runtime.configLength).toString('utf8'),
      },
      `serving ${runtime.name}: ${runtime.sectors} sectors from ${runtime.store.description} on ${nics.join(', ')}${workers > 1 ? ` (${workers} threads)` : ''}`,
    );
  }
  const metrics = target.metricsAddress;
  if (metrics) logger.info({ metrics: formatListenAddress(metrics) }, `metrics at http://${formatListenAddress(metrics)}/metrics`);
  return target;
}

export { ConfigError };
