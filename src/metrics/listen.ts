// Listen addresses for the metrics endpoint and other TCP listeners: 'HOST:PORT', '[v6]:PORT' or 'PORT' (loopback).

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parse a listen address; undefined when it is not one (the caller words the error: a usage error or a config error). */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([^\]]+)\]:|([^:[\]]*):)?(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

/** 'host:port', with brackets around an IPv6 host. */
export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
