// aoeblade as a service in the network lab: egress drops and NIC down/up, aoe serve --config with jumbo frames, MTU permissions, tshark.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFrame } from './aoe-test-client.js';
import { AOE, BLADE, MiB, sha256, useBladeLab } from './blade-lab.js';

describe('aoeblade as a service [netlab]', () => {
  const { handle, directory, links, startBlade, stopBlade, image, initiator } = useBladeLab();

  it('survives an egress drop on its NIC (ENOBUFS) and a NIC down/up, resuming service each time', async () => {
    const lab = handle.lab;
    const blade = await startBlade(['7', '1', 't0', image('egress.img', MiB)]);
    const client = initiator(0, 7, 1);
    const { mac } = await client.discover();
    await lab.addEgressDrop('target', 0);
    try {
      expect(await client.request(client.ata(mac, { sectorCount: 1, ataCommand: 0xec }), 1500, 100)).toBeUndefined();
    } finally {
      await lab.clearEgressDrop();
    }
    expect(blade.child.exitCode).toBeNull();
    const reply = await client.request(client.ata(mac, { sectorCount: 1, ataCommand: 0xec }), 3000, 100);
    expect(reply?.raw[27]).toBe(0x40);
    // NIC down and up again: no restart needed.
    await lab.setLinkUp(0, false, 'target');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await lab.setLinkUp(0, true, 'target');
    expect(blade.child.exitCode).toBeNull();
    const again = await client.request(client.ata(mac, { sectorCount: 1, ataCommand: 0xec }), 5000, 200);
    expect(again?.raw[27]).toBe(0x40);
    const deadline = Date.now() + 3000;
    while (!blade.output().includes('"msg":"link up"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(blade.output()).toMatch(/"msg":"link down"/);
    expect(blade.output()).toMatch(/"msg":"link up"/);
    expect(await stopBlade(blade)).toBe(0);
  }, 60_000);

  it('aoe serve --config: two exports on two NICs, jumbo MTU set at start (17 sectors per frame), state persisted', async () => {
    const lab = handle.lab;
    const stateDir = path.join(directory, 'state');
    fs.mkdirSync(stateDir);
    const configFile = path.join(directory, 'serve.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        exports: [
          { shelf: 9, slot: 1, path: image('serve1.img', 4 * MiB), interfaces: ['t0', 't1'], configString: 'first' },
          { shelf: 9, slot: 2, path: 'ram:4M', interfaces: ['t1'] },
        ],
        stateDir,
        mtu: 9000,
      }),
    );
    await lab.setMtu(0, 9000);
    await lab.setMtu(1, 9000);
    try {
      const server = await startBlade(['serve', '--log-level', 'info', '--config', configFile], AOE);
      const first = initiator(1, 9, 1);
      const { mac, sectors } = await first.discover();
      expect(sectors).toBe(17);
      const data = randomBytes(2 * MiB);
      await first.transfer(mac, 'write', data, 0, 17, 16);
      const back = Buffer.alloc(data.length);
      await first.transfer(mac, 'read', back, 0, 17, 16);
      expect(sha256(back)).toBe(sha256(data));
      const second = initiator(1, 9, 2);
      expect((await second.discover()).sectors).toBe(17);
      const cfg = await lab.exec(lab.initiatorNs, ['aoecfg', '-t', '1', '-c', 'fset', '-s', 'renamed', '9', '2', 'i1']);
      expect(cfg.stdout.trim()).toBe('renamed');
      expect(await stopBlade(server)).toBe(0);
      expect(JSON.parse(fs.readFileSync(path.join(stateDir, 'e9.2.json'), 'utf8')).configStringText).toBe('renamed');
      expect(JSON.parse(fs.readFileSync(path.join(stateDir, 'e9.1.json'), 'utf8')).configStringText).toBe('first');
    } finally {
      await lab.setMtu(0, 1500);
      await lab.setMtu(1, 1500);
    }
  }, 60_000);

  it('--mtu without CAP_NET_ADMIN fails with one clear line', async () => {
    const lab = handle.lab;
    const result = await lab.exec(lab.targetNs, [
      'setpriv',
      '--inh-caps=-all',
      '--bounding-set=-net_admin',
      process.execPath,
      BLADE,
      '--mtu',
      '9000',
      '1',
      '1',
      't0',
      'ram:1M',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^aoeblade: cannot set the MTU of t0 to 9000: .*CAP_NET_ADMIN.*\(EPERM\)/);
  }, 30_000);

  it('tshark decodes every frame aoeblade sends without malformed or expert flags', async () => {
    const lab = handle.lab;
    const pcap = path.join(directory, 'capture.pcap');
    const capture = lab.spawn(lab.targetNs, ['dumpcap', '-q', '-i', 't0', '-f', 'ether proto 0x88a2', '-w', pcap], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let captureLog = '';
    capture.stderr?.on('data', (chunk) => (captureLog += chunk));
    const captureExited = new Promise((resolve) => capture.once('exit', resolve));
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(pcap) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const blade = await startBlade(['--config-string', 'tshark run', '8', '1', 't0', image('tshark.img', MiB)]);
    const client = initiator(0, 8, 1);
    const { mac } = await client.discover();
    const data = randomBytes(64 * 1024);
    await client.transfer(mac, 'write', data, 0, 2, 8);
    await client.transfer(mac, 'read', Buffer.alloc(data.length), 0, 2, 8);
    await client.request(client.ata(mac, { sectorCount: 1, ataCommand: 0xec }));
    await client.request(client.ata(mac, { sectorCount: 1, ataCommand: 0x24, lba: 1 << 20 })); // IDNF
    await client.request(client.ata(mac, { sectorCount: 1, ataCommand: 0xef })); // ABRT
    await client.request(
      configFrame({ source: links[0].mac, destination: mac, shelf: 8, slot: 1, tag: client.tag(), configCommand: 0, version: 2 }),
    ); // error 5
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await stopBlade(blade)).toBe(0);
    capture.kill('SIGINT');
    await captureExited;
    const targetMac = mac
      .toString(16)
      .padStart(12, '0')
      .replace(/(..)(?!$)/g, '$1:');
    const sent = await lab.exec(lab.targetNs, [
      'tshark',
      '-r',
      pcap,
      '-Y',
      `aoe && eth.src == ${targetMac}`,
      '-T',
      'fields',
      '-e',
      'aoe.cmd',
      '-e',
      'aoe.tag',
    ]);
    expect(sent.code, `${sent.stderr}\n${captureLog}`).toBe(0);
    const lines = sent.stdout.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(2 * (data.length / 1024));
    const flagged = await lab.exec(lab.targetNs, ['tshark', '-r', pcap, '-Y', `eth.src == ${targetMac} && (_ws.malformed || _ws.expert)`]);
    expect(flagged.code).toBe(0);
    expect(flagged.stdout.trim()).toBe('');
  }, 90_000);
});
