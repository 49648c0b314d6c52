// Protocol constants for AoEr11 (Hopkins & Coile, Feb 2009) and the ATA subset it carries.

/** AoEr11 §2: the IEEE-assigned EtherType for ATA over Ethernet. */
export const ETHERTYPE_AOE = 0x88a2;
/** AoEr11 §2: protocol version carried in the high nibble of byte 14. */
export const AOE_VERSION = 1;

/** Ethernet II header: destination(6) + source(6) + ethertype(2). */
export const ETHERNET_HEADER_LENGTH = 6 + 6 + 2;
/** AoEr11 §2 common header after Ethernet: ver|flags(1) + error(1) + major(2) + minor(1) + command(1) + tag(4). */
export const AOE_HEADER_LENGTH = 1 + 1 + 2 + 1 + 1 + 4;
/** Offset of the command argument in a whole frame. */
export const AOE_ARG_OFFSET = ETHERNET_HEADER_LENGTH + AOE_HEADER_LENGTH; // 24
/** AoEr11 §3.1 ATA argument: aflags(1) + err/feature(1) + sector count(1) + cmd/status(1) + lba(6) + reserved(2). */
export const ATA_ARG_LENGTH = 1 + 1 + 1 + 1 + 6 + 2;
/** Offset of ATA data in a whole frame. */
export const ATA_DATA_OFFSET = AOE_ARG_OFFSET + ATA_ARG_LENGTH; // 36
/** AoEr11 §3.2 Query Config argument: buffer count(2) + firmware(2) + sector count(1) + ver|ccmd(1) + string length(2). */
export const CONFIG_ARG_LENGTH = 2 + 2 + 1 + 1 + 2;
/** AoEr11 §3.2: the config string is at most 1024 bytes. */
export const CONFIG_STRING_MAX = 1024;
/** AoEr11 §3.3 Mac Mask List argument header: reserved(1) + mcmd(1) + merror(1) + directive count(1). */
export const MASK_ARG_HEADER_LENGTH = 1 + 1 + 1 + 1;
/** AoEr11 §3.3 directive: reserved(1) + dcmd(1) + mac(6). */
export const MASK_DIRECTIVE_LENGTH = 1 + 1 + 6;
/** AoEr11 §3.4 Reserve/Release argument header: rcmd(1) + nmacs(1). */
export const RESERVE_ARG_HEADER_LENGTH = 1 + 1;
export const MAC_LENGTH = 6;

/** Sectors are always 512 bytes on the wire (AoEr11 §3.1). */
export const SECTOR_SIZE = 512;
/** Ethernet minimum frame without FCS; shorter frames are padded with zeros. */
export const ETHERNET_MIN_FRAME = 60;

/** AoEr11 §2: major 0xFFFF and minor 0xFF address every shelf / slot. */
export const BROADCAST_SHELF = 0xffff;
export const BROADCAST_SLOT = 0xff;
export const BROADCAST_MAC = 0xffffffffffff;

/** AoEr11 §2 flags (low nibble of byte 14). Bits 0-1 are reserved. */
export const FLAG_RESPONSE = 0x8;
export const FLAG_ERROR = 0x4;
export const FLAG_RESERVED_MASK = 0x3;

/** AoEr11 §2 command field. */
export const Command = {
  Ata: 0,
  QueryConfig: 1,
  MacMask: 2,
  ReserveRelease: 3,
} as const;
/** Commands >= 0xF0 are vendor specific (AoEr11 §2). */
export const VENDOR_COMMAND_MIN = 0xf0;

/** AoEr11 §2 error field values. */
export const AoeError = {
  UnrecognizedCommand: 1,
  BadArgument: 2,
  DeviceUnavailable: 3,
  ConfigStringPresent: 4,
  UnsupportedVersion: 5,
  TargetReserved: 6,
} as const;

/** AoEr11 §3.1 ATA aflags. */
export const AtaFlag = {
  Extended: 0x40, // E: LBA48
  Device: 0x10, // D: device/head register
  Async: 0x02, // A: asynchronous write
  Write: 0x01, // W: data flows initiator -> target
} as const;
export const ATA_FLAG_RESERVED_MASK = 0xac; // bits 7, 5, 3, 2

/** ATA commands a target serves. */
export const AtaCommand = {
  ReadSectors: 0x20,
  ReadSectorsExt: 0x24,
  WriteSectors: 0x30,
  WriteSectorsExt: 0x34,
  CheckPowerMode: 0xe5,
  FlushCache: 0xe7,
  FlushCacheExt: 0xea,
  Identify: 0xec,
} as const;

/** ATA status register bits. */
export const AtaStatus = {
  Error: 0x01,
  DataRequest: 0x08,
  DeviceFault: 0x20,
  Ready: 0x40, // DRDY
  Busy: 0x80,
} as const;

/** ATA error register bits. */
export const AtaErrorBit = {
  Abort: 0x04, // ABRT
  IdNotFound: 0x10, // IDNF
  Uncorrectable: 0x40, // UNC
} as const;

/** AoEr11 §3.2 CCmd. */
export const ConfigCommand = {
  Read: 0,
  Test: 1,
  TestPrefix: 2,
  Set: 3,
  ForceSet: 4,
} as const;

/** AoEr11 §3.3 MCmd, MError and DCmd. */
export const MaskCommand = { Read: 0, Edit: 1 } as const;
export const MaskError = { None: 0, Unspecified: 1, BadDirective: 2, ListFull: 3 } as const;
export const DirectiveCommand = { None: 0, Add: 1, Delete: 2 } as const;

/** AoEr11 §3.4 RCmd. */
export const ReserveCommand = { Read: 0, Set: 1, ForceSet: 2 } as const;

/** Largest sector count whose data fits one frame at this MTU (the MTU excludes the 14-byte Ethernet header, so AoE header + ATA arg = 22 bytes count against it). */
export function sectorsForMtu(mtu: number): number {
  const payload = mtu - (AOE_HEADER_LENGTH + ATA_ARG_LENGTH);
  return Math.max(0, Math.min(255, Math.floor(payload / SECTOR_SIZE)));
}
