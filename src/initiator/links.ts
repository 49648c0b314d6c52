// Opening links for the initiator: interface names -> PacketLinks (filter 'responses'), default NIC list.
import type { Link } from '../link/link.js';
import { InitiatorError } from './errors.js';

export interface LinkSource {
  /** Interface names to open (PacketLink, inside `netns` when given). */
  interfaces?: string[];
  /** Already-open links (MemoryHub tests, shared sockets); never closed by us. */
  links?: Link[];
  netns?: string;
  /**
   * Serve each NIC's socket from its own thread (ThreadLink): the kernel's send and receive work leaves the device's
   * thread, which keeps the scheduler, loss detection and every path's state. Off by default: see README.
   */
  linkThreads?: boolean;
}

/** AOEKIT_LINK_THREADS=1 makes linkThreads default to true (for tools and test runs that cannot pass the option). */
function linkThreadsByDefault(): boolean {
  return process.env.AOEKIT_LINK_THREADS === '1';
}

export interface OpenedLinks {
  links: Link[];
  /** Close what we opened (not injected links). */
  close(): Promise<void>;
}

type LinkModule = typeof import('../link/index.js');
let linkModule: Promise<LinkModule> | undefined;

/** The PacketLink module, loaded lazily so MemoryHub users never load the native addon. */
export function loadLinkModule(): Promise<LinkModule> {
  linkModule ??= import('../link/index.js');
  return linkModule;
}

/** Every up, non-loopback interface (in `netns` when given). */
export async function defaultInterfaces(netns?: string): Promise<string[]> {
  const module = await loadLinkModule();
  return module
    .listInterfaces(netns)
    .filter((nic) => nic.up && nic.name !== 'lo' && nic.mac !== 0)
    .map((nic) => nic.name);
}

export async function openLinks(source: LinkSource): Promise<OpenedLinks> {
  if (source.links && source.links.length > 0) return { links: source.links, close: async () => {} };
  const names = source.interfaces && source.interfaces.length > 0 ? source.interfaces : await defaultInterfaces(source.netns);
  if (names.length === 0) throw new InitiatorError('ERR_AOE_NO_INTERFACE', 'no usable network interface (give -i NIC)');
  const module = await loadLinkModule();
  const links: Link[] = [];
  try {
    for (const name of names) links.push(await openResponseLink(module, name, source.netns, source.linkThreads ?? linkThreadsByDefault()));
  } catch (error) {
    await Promise.allSettled(links.map((link) => link.close()));
    throw error;
  }
  return {
    links,
    close: async () => {
      await Promise.allSettled(links.map((link) => link.close()));
    },
  };
}

/** A PacketLink with the kernel filter passing AoE responses; falls back to 'all' (the port drops requests itself) if the filter is refused. */
async function openResponseLink(module: LinkModule, name: string, netns: string | undefined, threaded: boolean): Promise<Link> {
  const open = threaded ? module.openThreadLink : module.openPacketLink;
  try {
    return await open(name, { netns, filter: 'responses' });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EINVAL') throw error;
    return open(name, { netns, filter: 'all' });
  }
}
