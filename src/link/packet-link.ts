// Platform dispatcher for packet links: Linux uses AF_PACKET, every other platform gets ENOSYS.
import * as linux from './packet-link-linux.js';
import type { InterfaceInfo, PacketLink, PacketLinkOptions } from './packet-link-linux.js';

export { PacketLink } from './packet-link-linux.js';
export type { InterfaceInfo, PacketFilter, PacketLinkOptions, PacketLinkStats } from './packet-link-linux.js';

const supported = process.platform === 'linux';

function unsupported(syscall: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `ENOSYS: function not implemented, ${syscall} (raw AoE sockets need Linux AF_PACKET; platform is ${process.platform})`,
  );
  error.code = 'ENOSYS';
  error.syscall = syscall;
  error.errno = -38;
  return error;
}

/** Opens a raw AoE link on a NIC. Rejects with code 'ENOSYS' on platforms other than Linux. */
export function openPacketLink(ifname: string, options?: PacketLinkOptions): Promise<PacketLink> {
  if (!supported) return Promise.reject(unsupported('openPacketLink'));
  return linux.openPacketLink(ifname, options);
}

export function interfaceInfo(name: string, netns?: string): InterfaceInfo {
  if (!supported) throw unsupported('interfaceInfo');
  return linux.interfaceInfo(name, netns);
}

export function listInterfaces(netns?: string): InterfaceInfo[] {
  if (!supported) throw unsupported('listInterfaces');
  return linux.listInterfaces(netns);
}

export function setMtu(name: string, mtu: number, netns?: string): void {
  if (!supported) throw unsupported('setMtu');
  linux.setMtu(name, mtu, netns);
}
