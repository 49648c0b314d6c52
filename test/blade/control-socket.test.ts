// The control socket: answers after a half close, a path that is a regular file, a stale socket or one in use.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openControlSocket } from '../../src/blade/control-socket.js';
import { connect, fakeStats, open, socketPath } from '../helpers/control-socket.js';

describe('control socket', () => {
  it('a control-socket peer that sends its requests and shuts down its side gets every answer, then the connection ends', async () => {
    const file = socketPath();
    await open(file, fakeStats().stats);
    const client = await connect(file);
    let text = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => {
      text += chunk;
    });
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.end(`${'{"cmd":"ping"}\n'.repeat(20_000)}{"cmd":"ping"}`);
    await ended;
    expect(text.split('\n').filter(Boolean)).toHaveLength(20_001);
  });

  it('a control-socket path that is a regular file is refused with EEXIST and left alone; a stale socket is replaced; a live one is refused', async () => {
    const file = socketPath();
    fs.writeFileSync(file, 'precious');
    await expect(openControlSocket(file, fakeStats().stats)).rejects.toMatchObject({
      code: 'EEXIST',
      message: expect.stringContaining('not a socket'),
    });
    expect(fs.readFileSync(file, 'utf8')).toBe('precious');
    const live = socketPath();
    await open(live, fakeStats().stats);
    await expect(openControlSocket(live, fakeStats().stats)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // A socket file nobody listens on (left by a killed run) is replaced.
    const stale = socketPath();
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale]);
    expect(fs.lstatSync(stale).isSocket()).toBe(true);
    await open(stale, fakeStats().stats);
    const client = await connect(stale);
    client.write('{"cmd":"ping"}\n');
    expect(await new Promise((resolve) => client.once('data', (chunk) => resolve(String(chunk))))).toBe('{"ok":true}\n');
  });
});
