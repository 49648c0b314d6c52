// A real Prometheus (Debian's package) scraping a lab aoeblade every second during an aoe copy; curl and promtool on /metrics; aoe nbd's and aoe serve's /metrics.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';
import { type Blade, killBlades, requireBuild, sleep, sparseFile, startBlade } from '../reliability/blade.js';
import { dashboardQueries } from './dashboard.js';
import { promtoolCheck, sampleValue } from './scrape.js';

const AOE = new URL('../../dist/cli/aoe.js', import.meta.url).pathname;
const MiB = 1024 * 1024;
/** Each lab link is shaped to 200 Mbit/s, so the 256 MiB copy takes about 5 s: several scrapes see it move. */
const COPY_BYTES = 256 * MiB;
const BLADE_METRICS = '127.0.0.1:9100';
const PROMETHEUS = '127.0.0.1:9090';
const READ_BYTES = 'aoeblade_export_io_bytes_total{export="e1.1",op="read"}';

describe('Prometheus scraping aoeblade [netlab]', () => {
  const net = useLab({ links: 2, rate: '200mbit' });
  const directory = fs.mkdtempSync('/dev/shm/aoekit-prometheus-');
  const blades: Blade[] = [];
  const children: ChildProcess[] = [];

  /** Start a process by PID and collect what it prints; stopped (SIGTERM, then SIGKILL) in afterAll. */
  function track(child: ChildProcess): { output: () => string; exited: Promise<number | null> } {
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    return { output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  }

  async function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  const curl = async (ns: string, url: string, ...extra: string[]) => {
    const result = await net.lab.exec(ns, ['curl', '-sS', '--max-time', '5', ...extra, url]);
    if (result.code !== 0) throw new Error(`curl ${url} failed (${result.code}): ${result.stderr}`);
    return result.stdout;
  };
  const scrapeBlade = () => curl(net.lab.targetNs, `http://${BLADE_METRICS}/metrics`);

  async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  beforeAll(async () => {
    requireBuild();
    fs.writeFileSync(`${directory}/big.img`, Buffer.alloc(COPY_BYTES, 0x5a));
    await startBlade(net.lab, ['--metrics-listen', BLADE_METRICS, '1', '1', 't0,t1', `${directory}/big.img`], blades);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) await stop(child);
    await killBlades(blades);
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('Prometheus scrapes aoeblade every 1 s during an aoe copy; rate(read bytes[10s]) is non-zero; curl shows read bytes rising; promtool passes', async () => {
    const lab = net.lab;
    // Prometheus in the target namespace (aoeblade's metrics listen on its loopback), its data in our temp directory.
    const config = `${directory}/prometheus.yml`;
    fs.writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 900ms',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: aoeblade',
        '    static_configs:',
        `      - targets: ['${BLADE_METRICS}']`,
        '',
      ].join('\n'),
    );
    const check = await lab.exec(lab.targetNs, ['promtool', 'check', 'config', config]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const prometheus = lab.spawn(
      lab.targetNs,
      ['prometheus', `--config.file=${config}`, `--storage.tsdb.path=${directory}/tsdb`, `--web.listen-address=${PROMETHEUS}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prometheusRun = track(prometheus);
    await waitFor(
      'Prometheus to be ready',
      async () => {
        if (prometheus.exitCode !== null) throw new Error(`prometheus exited ${prometheus.exitCode}:\n${prometheusRun.output()}`);
        return (await lab.exec(lab.targetNs, ['curl', '-sf', `http://${PROMETHEUS}/-/ready`])).code === 0;
      },
      30_000,
    );
    const query = async (promql: string) => {
      const answer = JSON.parse(await curl(lab.targetNs, `http://${PROMETHEUS}/api/v1/query`, '--data-urlencode', `query=${promql}`));
      expect(answer.status).toBe('success');
      return answer.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
    };
    await waitFor('the first scrape', async () => (await query('up{job="aoeblade"}'))[0]?.value[1] === '1');

    const before = sampleValue(await scrapeBlade(), READ_BYTES) as number;
    expect(before).toBe(0);
    const copy = lab.exec(lab.initiatorNs, [process.execPath, AOE, 'copy', 'aoe:e1.1', '/dev/null', '-i', 'i0,i1', '--no-progress'], {
      timeoutMs: 120_000,
    });
    let copyDone = false;
    void copy.then(() => (copyDone = true));
    // curl during the copy: once data moves, read bytes rise from one scrape to the next.
    await waitFor('the copy to start reading', async () => (sampleValue(await scrapeBlade(), READ_BYTES) as number) > 0);
    const seen: number[] = [];
    while (!copyDone && seen.length < 3) {
      seen.push(sampleValue(await scrapeBlade(), READ_BYTES) as number);
      await sleep(700);
    }
    expect(seen.length, 'the copy ended before curl saw it move (is the lab rate limit in place?)').toBe(3);
    expect(seen[1]).toBeGreaterThan(seen[0]);
    expect(seen[2]).toBeGreaterThan(seen[1]);
    // Prometheus's own view, while the copy still moves or just after.
    let rate = 0;
    await waitFor('a non-zero rate from Prometheus', async () => {
      const result = await query(`rate(${READ_BYTES}[10s])`);
      rate = Number(result[0]?.value[1] ?? 0);
      return rate > 0;
    });
    expect(rate).toBeGreaterThan(1e6); // bytes per second: two 200 Mbit/s links carry tens of MB/s
    const copied = await copy;
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(new RegExp(`^copied ${COPY_BYTES} bytes`));
    const after = await scrapeBlade();
    expect(sampleValue(after, READ_BYTES)).toBeGreaterThanOrEqual(COPY_BYTES); // and a few probe sectors
    expect(sampleValue(after, 'aoeblade_export_request_duration_seconds_count{export="e1.1"}')).toBeGreaterThan(COPY_BYTES / (2 * 1024));
    for (const nic of ['t0', 't1'])
      expect(sampleValue(after, `aoeblade_nic_frames_total{nic="${nic}",direction="out"}`), nic).toBeGreaterThan(1000);
    const quantile = await query('histogram_quantile(0.99, rate(aoeblade_export_request_duration_seconds_bucket[10s]))');
    expect(Number(quantile[0]?.value[1])).toBeGreaterThan(0);
    const lint = promtoolCheck(after);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
    // Every query of the example Grafana dashboard is PromQL this Prometheus accepts; the aoeblade ones have data.
    for (const { panel, expr } of dashboardQueries()) {
      const result = await query(expr);
      if (expr.includes('aoeblade_')) expect(result.length, `${panel}: ${expr}`).toBeGreaterThan(0);
    }
    await stop(prometheus);
  }, 180_000);

  it('aoe nbd --metrics-listen serves NBD requests and both paths; its ready line has one "name"; promtool passes', async () => {
    const lab = net.lab;
    const socket = `${directory}/nbd.sock`;
    const nbd = lab.spawn(
      lab.initiatorNs,
      [process.execPath, AOE, 'nbd', 'e1.1', '-i', 'i0,i1', '--socket', socket, '--name', 'disk', '--metrics-listen', '127.0.0.1:9101'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const nbdRun = track(nbd);
    await waitFor('aoe nbd to be ready', () => {
      if (nbd.exitCode !== null) throw new Error(`aoe nbd exited ${nbd.exitCode}:\n${nbdRun.output()}`);
      return nbdRun.output().includes('"msg":"nbd export ready"');
    });
    const ready = nbdRun
      .output()
      .split('\n')
      .find((line) => line.includes('"msg":"nbd export ready"')) as string;
    expect(ready.match(/"name":/g)).toHaveLength(1); // the logger's name; the export's name is exportName
    expect(JSON.parse(ready)).toMatchObject({
      name: 'aoe-nbd',
      exportName: 'disk',
      metrics: '127.0.0.1:9101',
      time: expect.stringMatching(/Z$/),
    });
    const info = await lab.exec(lab.initiatorNs, ['nbdinfo', '--size', `nbd+unix:///disk?socket=${socket}`]);
    expect(info.stdout.trim()).toBe(String(COPY_BYTES));
    const body = await curl(lab.initiatorNs, 'http://127.0.0.1:9101/metrics');
    for (const nic of ['i0', 'i1'])
      expect(body).toMatch(new RegExp(`^aoe_path_up\\{device="e1\\.1",interface="${nic}",target_mac="[0-9a-f:]{17}"\\} 1$`, 'm'));
    expect(sampleValue(body, 'aoe_nbd_connections_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(body, 'aoe_device_size_bytes{device="e1.1"}')).toBe(COPY_BYTES);
    const lint = promtoolCheck(body);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
    await stop(nbd);
    expect(nbd.exitCode).toBe(0);
  }, 60_000);

  // With worker threads, a scrape right after the copy must still count all of it (the main thread asks the threads).
  for (const workers of [1, 2])
    it(`aoe serve --netns NS with "metricsListen" in its config, ${workers} thread(s): /metrics from the root namespace counts the whole copy at once`, async () => {
      const lab = net.lab;
      const config = `${directory}/serve.json`;
      fs.writeFileSync(
        config,
        JSON.stringify({
          exports: [{ shelf: 2, slot: 1, path: sparseFile(`${directory}/small.img`, 8 * MiB), interfaces: ['t0', 't1'] }],
          metricsListen: '127.0.0.1:0',
          workers,
        }),
      );
      const serve = spawn(process.execPath, [AOE, 'serve', '--config', config, '--netns', lab.targetNs], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const serveRun = track(serve);
      await waitFor('aoe serve to log its metrics address', () => {
        if (serve.exitCode !== null) throw new Error(`aoe serve exited ${serve.exitCode}:\n${serveRun.output()}`);
        return /"msg":"metrics at http:\/\/127\.0\.0\.1:\d+\/metrics"/.test(serveRun.output());
      });
      const port = Number(/metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(serveRun.output())?.[1]);
      const copy = await lab.exec(lab.initiatorNs, [
        process.execPath,
        AOE,
        'copy',
        'aoe:e2.1',
        '/dev/null',
        '-i',
        'i0,i1',
        '--no-progress',
      ]);
      expect(copy.code, copy.stderr).toBe(0);
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(sampleValue(body, 'aoeblade_export_io_bytes_total{export="e2.1",op="read"}')).toBeGreaterThanOrEqual(8 * MiB);
      await stop(serve);
      expect(serve.exitCode).toBe(0);
    }, 60_000);
});
