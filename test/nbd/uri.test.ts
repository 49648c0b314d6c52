// NBD URIs: the libnbd forms aoeblade accepts as a backing store, and clear EINVAL errors for the rest.
import { describe, expect, it } from 'vitest';
import { isNbdUri, parseNbdUri } from '../../src/nbd/uri.js';

describe('NBD URIs', () => {
  it.each([
    ['nbd://example.com', { kind: 'tcp', host: 'example.com', port: 10809 }, ''],
    ['nbd://10.0.0.2:10810/disk1', { kind: 'tcp', host: '10.0.0.2', port: 10810 }, 'disk1'],
    ['nbd://[::1]:2000/a%20b', { kind: 'tcp', host: '::1', port: 2000 }, 'a b'],
    ['nbd+unix:///?socket=/run/x.sock', { kind: 'unix', socket: '/run/x.sock' }, ''],
    ['nbd+unix:///pool/image?socket=/tmp/s', { kind: 'unix', socket: '/tmp/s' }, 'pool/image'],
  ])('%s', (uri, endpoint, exportName) => {
    expect(isNbdUri(uri)).toBe(true);
    expect(parseNbdUri(uri)).toEqual({ endpoint, exportName, uri });
  });

  it.each([
    ['nbds://example.com', /TLS/],
    ['nbd+unix:///x', /socket=PATH/],
    ['nbd+unix://host/x?socket=/s', /takes no host/],
    ['nbd+vsock:///', /not supported/],
    ['nbd:///x', /needs a host/],
    ['nbd://h/x?foo=1', /unknown query parameter/],
  ])('%s is refused', (uri, message) => {
    expect(() => parseNbdUri(uri)).toThrow(expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(message) }));
  });

  it('files, devices and ram: are not NBD URIs', () => {
    for (const spec of ['/dev/sdb', 'ram:1G', 'disk.img', 'nbd.img']) expect(isNbdUri(spec)).toBe(false);
  });
});
