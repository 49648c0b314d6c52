// Starts a target from a ServeConfig on real NICs: opens the stores, sets MTUs, opens packet links, logs the export facts.
import { openPacketLink, setMtu } from '../link/index.js';
import { silentLogger, type Logger } from '../log.js';
import type { BlockStore } from '../store/block-store.js';
import { openStoreAsync } from '../store/open-store.js';
import { formatMac } from '../wire/mac.js';
import { ConfigError, type ServeConfig } from './serve-config.js';
import { createTarget, type Target } from './server.js';

function setInterfaceMtu(name: string, mtu: number, netns: string | undefined): void {
  try {
    setMtu(name, mtu, netns);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const hint = (code === 'EPERM' || code === 'EACCES') && !message.includes('CAP_NET_ADMIN') ? ' (setting the MTU needs CAP_NET_ADMIN: run as root or drop --mtu)' : '';
    throw Object.assign(new Error(`cannot set the MTU of ${name} to ${mtu}: ${message}${hint}`), { code: code ?? 'ERR_CONFIG' });
  }
}

/** Open everything and start serving. On failure, whatever was opened is closed again. */
export async function launchTarget(config: ServeConfig, logger: Logger = silentLogger): Promise<Target> {
  const stores: BlockStore[] = [];
  try {
    for (const item of config.exports) {
      stores.push(await openStoreAsync(item.path, {
        readOnly: item.readOnly, sync: item.sync, direct: item.direct, offsetSectors: item.offset, lengthSectors: item.length, logger,
      }));
    }
  } catch (error) {
    await Promise.allSettled(stores.map((store) => store.close()));
    // A window (-o/-l) that does not fit the backing file is a configuration mistake: one line, not a stack trace.
    if ((error as { code?: string }).code === 'ERANGE') throw new ConfigError((error as Error).message);
    throw error;
  }
  const interfaces = [...new Set(config.exports.flatMap((item) => item.interfaces))];
  try {
    if (config.mtu !== undefined) for (const name of interfaces) setInterfaceMtu(name, config.mtu, config.netns);
  } catch (error) {
    await Promise.allSettled(stores.map((store) => store.close()));
    throw error;
  }
  const target = createTarget({
    exports: config.exports.map((item, index) => ({ ...item, store: stores[index] })),
    openLink: (name) => openPacketLink(name, { netns: config.netns, filter: 'requests' }),
    stateDir: config.stateDir,
    statsIntervalSeconds: config.statsInterval,
    controlSocket: config.controlSocket,
    announce: config.announce ?? true,
    logger,
  });
  try {
    await target.start();
  } catch (error) {
    await Promise.allSettled(stores.map((store) => store.close()));
    throw error;
  }
  for (const runtime of target.exports) {
    const nics = target.engines
      .filter((engine) => engine.exports.includes(runtime))
      .map((engine) => `${engine.link.name} (${formatMac(engine.link.mac)}, MTU ${engine.link.mtu}, ${engine.maxSectors} sectors/frame)`);
    logger.info(
      {
        target: runtime.name, store: runtime.store.description, sectors: runtime.sectors, bytes: runtime.store.size,
        readOnly: runtime.readOnly, bufferCount: runtime.bufferCount, nics, macMask: runtime.macMask.map(formatMac),
        configString: runtime.configString.subarray(0, runtime.configLength).toString('utf8'),
      },
      `serving ${runtime.name}: ${runtime.sectors} sectors from ${runtime.store.description} on ${nics.join(', ')}`,
    );
  }
  return target;
}

export { ConfigError };
