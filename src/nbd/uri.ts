// NBD URIs in libnbd's forms: nbd://host[:port]/export and nbd+unix:///export?socket=PATH, parsed into a connect target.
import { NBD_DEFAULT_PORT } from './protocol.js';
import { NbdClientError } from './client-errors.js';

export type NbdEndpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; socket: string };

export interface NbdTarget {
  endpoint: NbdEndpoint;
  /** Export name: the URI path without its leading '/', percent-decoded ('' selects the server's default export). */
  exportName: string;
  /** The URI as given, for logs. */
  uri: string;
}

/** True for specs that name an NBD export (any nbd scheme, so a TLS URI gets a clear error instead of "no such file"). */
export function isNbdUri(spec: string): boolean {
  return /^nbds?(\+[a-z]+)?:\/\//i.test(spec);
}

function bad(uri: string, why: string): NbdClientError {
  return new NbdClientError(`bad NBD URI '${uri}': ${why} (use nbd://host[:port]/export or nbd+unix:///export?socket=PATH)`, 'EINVAL');
}

/** Parse an NBD URI. Throws NbdClientError (code EINVAL) naming what is wrong. */
export function parseNbdUri(uri: string): NbdTarget {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw bad(uri, 'not a URI');
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme.startsWith('nbds')) throw bad(uri, 'TLS (nbds) is not supported');
  let exportName: string;
  try {
    exportName = decodeURIComponent(url.pathname.replace(/^\//, ''));
  } catch {
    throw bad(uri, 'the export name is not valid percent-encoding');
  }
  if (Buffer.byteLength(exportName) > 4096) throw bad(uri, 'the export name is longer than 4096 bytes');
  const known = scheme === 'nbd' ? ['tls'] : ['socket', 'tls'];
  for (const key of url.searchParams.keys()) if (!known.includes(key)) throw bad(uri, `unknown query parameter '${key}'`);
  if ((url.searchParams.get('tls') ?? 'off') !== 'off') throw bad(uri, 'TLS is not supported');
  if (url.username !== '' || url.password !== '') throw bad(uri, 'user names are only used with TLS, which is not supported');
  if (scheme === 'nbd') {
    if (url.hostname === '') throw bad(uri, 'nbd:// needs a host');
    const port = url.port === '' ? NBD_DEFAULT_PORT : Number(url.port);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    return { endpoint: { kind: 'tcp', host, port }, exportName, uri };
  }
  if (scheme === 'nbd+unix') {
    if (url.host !== '') throw bad(uri, 'nbd+unix:// takes no host (three slashes: nbd+unix:///export?socket=PATH)');
    const socket = url.searchParams.get('socket');
    if (socket === null || socket === '') throw bad(uri, 'nbd+unix:// needs ?socket=PATH');
    return { endpoint: { kind: 'unix', socket }, exportName, uri };
  }
  throw bad(uri, `scheme '${scheme}' is not supported`);
}
