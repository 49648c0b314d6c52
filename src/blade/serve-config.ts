// The `aoe serve --config FILE` JSON format and its validation, with errors that name the JSON path.
import fs from 'node:fs';
import { SHELF_MAX, SLOT_MAX } from '../wire/address.js';
import { type ListenAddress, parseListenAddress } from '../metrics/listen.js';
import { parseMac } from '../wire/mac.js';
import { ConfigError } from './config-error.js';

export interface ServeExportConfig {
  shelf: number;
  slot: number;
  /** File, block device, `ram:SIZE` or NBD URI (nbd://host[:port]/export, nbd+unix:///export?socket=PATH). */
  path: string;
  interfaces: string[];
  readOnly?: boolean;
  sync?: boolean;
  direct?: boolean;
  /** Window offset in 512-byte sectors. */
  offset?: number;
  /** Window length in 512-byte sectors. */
  length?: number;
  macMask?: number[];
  configString?: string;
  bufferCount?: number;
  serial?: string;
  model?: string;
  firmware?: string;
  physicalSectorSize?: 512 | 4096;
}

export interface ServeConfig {
  exports: ServeExportConfig[];
  stateDir?: string;
  /** Seconds between stats log lines; 0 = off. */
  statsInterval?: number;
  controlSocket?: string;
  announce?: boolean;
  /** Set every served NIC's MTU before serving. */
  mtu?: number;
  /** Open the NICs inside this network namespace (name under /run/netns). */
  netns?: string;
  /** Serve Prometheus metrics at http://HOST:PORT/metrics ("HOST:PORT" in the file). */
  metricsListen?: ListenAddress;
  /** Worker threads serving the NICs: 1 = the main thread serves them all, 0 = one per NIC up to the CPU count. */
  workers?: number;
}

export { ConfigError };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${where} must be ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optional<T>(object: Json, key: string, read: (value: unknown, where: string) => T, where: string): T | undefined {
  return object[key] === undefined ? undefined : read(object[key], `${where}.${key}`);
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(`${where} must be a non-empty string`);
  return value;
}

function boolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`${where} must be true or false`);
  return value;
}

/** IDENTIFY strings (ATA words 10-19, 23-26, 27-46): at most `max` printable ASCII characters. Returns a problem or undefined. */
export function identifyTextProblem(text: string, max: number): string | undefined {
  if (text.length > max || !/^[\x20-\x7e]*$/.test(text)) return `must be at most ${max} printable ASCII characters`;
  return undefined;
}

function identifyText(max: number): (value: unknown, where: string) => string {
  return (value, where) => {
    const text = string(value, where);
    const problem = identifyTextProblem(text, max);
    if (problem) throw new ConfigError(`${where} ${problem}`);
    return text;
  };
}

const EXPORT_KEYS = new Set([
  'shelf',
  'slot',
  'path',
  'interfaces',
  'readOnly',
  'sync',
  'direct',
  'offset',
  'length',
  'macMask',
  'configString',
  'bufferCount',
  'serial',
  'model',
  'firmware',
  'physicalSectorSize',
]);
const TOP_KEYS = new Set(['exports', 'stateDir', 'statsInterval', 'controlSocket', 'announce', 'mtu', 'netns', 'metricsListen', 'workers']);

function listenAddress(value: unknown, where: string): ListenAddress {
  const address = typeof value === 'string' ? parseListenAddress(value) : undefined;
  if (address === undefined) throw new ConfigError(`${where} must be "HOST:PORT", "[IPv6]:PORT" or "PORT", got ${JSON.stringify(value)}`);
  return address;
}

function parseExport(value: unknown, where: string): ServeExportConfig {
  if (!isObject(value)) throw new ConfigError(`${where} must be an object`);
  for (const key of Object.keys(value)) if (!EXPORT_KEYS.has(key)) throw new ConfigError(`${where}.${key} is not a known setting`);
  const shelf = integer(value.shelf, `${where}.shelf`, 0, SHELF_MAX);
  const slot = integer(value.slot, `${where}.slot`, 0, SLOT_MAX);
  const storePath = string(value.path, `${where}.path`);
  const interfaces = value.interfaces;
  if (!Array.isArray(interfaces) || interfaces.length === 0)
    throw new ConfigError(`${where}.interfaces must be a non-empty array of interface names`);
  const macMask = value.macMask;
  if (macMask !== undefined && !Array.isArray(macMask)) throw new ConfigError(`${where}.macMask must be an array of MAC addresses`);
  const configString = optional(
    value,
    'configString',
    (text, at) => {
      if (typeof text !== 'string' || Buffer.byteLength(text) > 1024) throw new ConfigError(`${at} must be a string of at most 1024 bytes`);
      return text;
    },
    where,
  );
  return {
    shelf,
    slot,
    path: storePath,
    interfaces: interfaces.map((name, index) => string(name, `${where}.interfaces[${index}]`)),
    readOnly: optional(value, 'readOnly', boolean, where),
    sync: optional(value, 'sync', boolean, where),
    direct: optional(value, 'direct', boolean, where),
    offset: optional(value, 'offset', (number, at) => integer(number, at, 0, Number.MAX_SAFE_INTEGER), where),
    length: optional(value, 'length', (number, at) => integer(number, at, 1, Number.MAX_SAFE_INTEGER), where),
    macMask: macMask?.map((mac, index) => {
      try {
        return parseMac(String(mac));
      } catch {
        throw new ConfigError(`${where}.macMask[${index}] is not a MAC address: ${JSON.stringify(mac)}`);
      }
    }),
    configString,
    bufferCount: optional(value, 'bufferCount', (number, at) => integer(number, at, 1, 0xffff), where),
    serial: optional(value, 'serial', identifyText(20), where),
    model: optional(value, 'model', identifyText(40), where),
    firmware: optional(value, 'firmware', identifyText(8), where),
    physicalSectorSize: optional(
      value,
      'physicalSectorSize',
      (number, at) => {
        if (number !== 512 && number !== 4096) throw new ConfigError(`${at} must be 512 or 4096`);
        return number;
      },
      where,
    ),
  };
}

/** Validate parsed JSON into a ServeConfig; throws ConfigError naming the offending path (e.g. `exports[0].shelf must be 0..65534`). */
export function parseServeConfig(value: unknown): ServeConfig {
  if (!isObject(value)) throw new ConfigError('the configuration must be a JSON object with an "exports" array');
  for (const key of Object.keys(value)) if (!TOP_KEYS.has(key)) throw new ConfigError(`${key} is not a known setting`);
  if (!Array.isArray(value.exports) || value.exports.length === 0) throw new ConfigError('exports must be a non-empty array');
  const exports = value.exports.map((item, index) => parseExport(item, `exports[${index}]`));
  const seen = new Map<string, number>();
  exports.forEach((item, index) => {
    for (const name of item.interfaces) {
      const key = `${item.shelf}.${item.slot}@${name}`;
      const previous = seen.get(key);
      if (previous !== undefined)
        throw new ConfigError(`exports[${index}] repeats e${item.shelf}.${item.slot} on ${name} (see exports[${previous}])`);
      seen.set(key, index);
    }
  });
  return {
    exports,
    stateDir: optional(value, 'stateDir', string, ''),
    statsInterval: optional(value, 'statsInterval', (number, at) => integer(number, at.slice(1), 0, 86400), ''),
    controlSocket: optional(value, 'controlSocket', string, ''),
    announce: optional(value, 'announce', boolean, ''),
    mtu: optional(value, 'mtu', (number, at) => integer(number, at.slice(1), 68, 65535), ''),
    netns: optional(value, 'netns', string, ''),
    metricsListen: optional(value, 'metricsListen', (text, at) => listenAddress(text, at.slice(1)), ''),
    workers: optional(value, 'workers', (number, at) => integer(number, at.slice(1), 0, 256), ''),
  };
}

/** Read and validate a serve config file; every failure is a ConfigError naming the file (and the JSON path). */
export function loadServeConfig(file: string): ServeConfig {
  const hint = 'See examples/serve.json for the format.';
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`, hint);
  }
  try {
    return parseServeConfig(json);
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message}`, hint);
  }
}
