// Public surface of the link layer: the Link interface, packet links (AF_PACKET) and in-memory links.
export type { FrameBatchHandler, Link, LinkState, LinkStats } from './link.js';
export {
  interfaceInfo,
  listInterfaces,
  openPacketLink,
  setMtu,
  type InterfaceInfo,
  type PacketFilter,
  PacketLink,
  type PacketLinkOptions,
  type PacketLinkStats,
} from './packet-link.js';
export * from './memory-link.js';
export { openThreadLink, ThreadLink, type ThreadLinkOptions } from './thread-link.js';
