// In-process micro-benchmark of merged file reads: fs.readvSync over Buffer views vs the addon's fileReadSlab, raw and through RequestMerger + FileStore.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSlabFileIo, type SlabFileIo } from '../src/native/addon.js';
import { FileStore } from '../src/store/file-store.js';
import { RequestMerger } from '../src/blade/coalesce.js';
import type { ReplyFrame } from '../src/blade/reply-pool.js';
import type { ExportRuntime } from '../src/blade/export.js';
import { ATA_DATA_OFFSET } from '../src/wire/constants.js';

const POOL_FRAMES = 256;
const FILE_BYTES = 16 * 1024 * 1024;

interface Options {
  runs: number;
  frames: number;
  bytes: number;
  rounds: number;
  directory: string;
}

type Variant = (runs: number) => void;

function parse(argv: string[]): Options {
  const options: Options = {
    runs: 200_000,
    frames: 16,
    bytes: 1024,
    rounds: 5,
    directory: fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '') as keyof Options;
    if (!(name in options)) throw new Error(`unknown option ${argv[i]} (--runs --frames --bytes --rounds --directory)`);
    (options as unknown as Record<string, number | string>)[name] = name === 'directory' ? argv[i + 1] : Number(argv[i + 1]);
  }
  return options;
}

/** The four variants over one file and one pool slab laid out like the target's response pool. */
function variants(io: SlabFileIo, fd: number, file: string, options: Options): Record<string, Variant> {
  const { frames, bytes } = options;
  const frameSize = Math.max(1514, ATA_DATA_OFFSET + bytes); // like the response pool: MTU + 14 bytes per frame
  const runBytes = frames * bytes;
  const runsPerFile = Math.floor(FILE_BYTES / runBytes);
  const pool = Buffer.alloc(POOL_FRAMES * frameSize);
  const views = Array.from({ length: POOL_FRAMES }, (_, slot) =>
    pool.subarray(slot * frameSize + ATA_DATA_OFFSET, slot * frameSize + ATA_DATA_OFFSET + bytes),
  );
  const runViews: Buffer[] = new Array(frames);
  const offsets = new Uint32Array(frames);
  const lengths = new Uint32Array(frames).fill(bytes);
  const check = (done: number) => {
    if (done !== runBytes) throw new Error(`short transfer: ${done} of ${runBytes}`);
  };
  const replies = Array.from(
    { length: POOL_FRAMES },
    (_, index) =>
      ({
        pool,
        offset: index * frameSize,
        frame: pool.subarray(index * frameSize, (index + 1) * frameSize),
        onRead: (error: Error | null, done: number) => {
          if (error !== null || done !== bytes) throw error ?? new Error('short read');
        },
      }) as unknown as ReplyFrame,
  );
  const merged = (useNative: boolean): Variant => {
    FileStore.nativeSlabIo = useNative;
    const runtime = { store: FileStore.open(file, { readOnly: true }) } as unknown as ExportRuntime;
    FileStore.nativeSlabIo = true;
    const merger = new RequestMerger();
    return (runs) => {
      for (let run = 0; run < runs; run++) {
        const first = (run * frames) % POOL_FRAMES;
        const position = (run % runsPerFile) * runBytes;
        for (let i = 0; i < frames; i++) merger.read(runtime, replies[(first + i) % POOL_FRAMES], bytes, position + i * bytes);
        merger.flush();
      }
    };
  };
  return {
    'readvSync(views)': (runs) => {
      for (let run = 0; run < runs; run++) {
        const first = (run * frames) % POOL_FRAMES;
        for (let i = 0; i < frames; i++) runViews[i] = views[(first + i) % POOL_FRAMES];
        check(fs.readvSync(fd, runViews, (run % runsPerFile) * runBytes));
      }
    },
    fileReadSlab: (runs) => {
      for (let run = 0; run < runs; run++) {
        const first = (run * frames) % POOL_FRAMES;
        for (let i = 0; i < frames; i++) offsets[i] = ((first + i) % POOL_FRAMES) * frameSize + ATA_DATA_OFFSET;
        check(io.fileReadSlab(fd, (run % runsPerFile) * runBytes, pool, offsets, lengths, frames));
      }
    },
    'RequestMerger fallback': merged(false),
    'RequestMerger native': merged(true),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function main(): void {
  const options = parse(process.argv.slice(2));
  const io = loadSlabFileIo();
  if (io === null) throw new Error('the native slab file I/O is not available (Linux, npm run build:native)');
  const directory = fs.mkdtempSync(path.join(options.directory, 'aoekit-fileio-micro-'));
  const file = path.join(directory, 'disk.img');
  try {
    fs.writeFileSync(file, Buffer.alloc(FILE_BYTES, 0x5a));
    const fd = fs.openSync(file, 'r');
    const all = variants(io, fd, file, options);
    const names = Object.keys(all);
    const samples = new Map<string, number[]>(names.map((name) => [name, []]));
    const cpuSamples = new Map<string, number[]>(names.map((name) => [name, []]));
    for (const name of names) all[name](Math.min(20_000, options.runs)); // warm up (JIT, page cache)
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse(); // alternate so drift hits every variant alike
      for (const name of order) {
        const cpu = process.cpuUsage();
        const start = process.hrtime.bigint();
        all[name](options.runs);
        samples.get(name)!.push(Number(process.hrtime.bigint() - start) / options.runs);
        const used = process.cpuUsage(cpu);
        cpuSamples.get(name)!.push(((used.user + used.system) * 1000) / options.runs);
      }
    }
    fs.closeSync(fd);
    console.log(
      `${options.runs} runs x ${options.frames} frames x ${options.bytes} B from ${options.directory}, ${options.rounds} alternating rounds`,
    );
    console.log(`${'variant'.padEnd(24)} wall: median ns/run, ns/frame (min-max)   cpu (user+sys): median ns/run, ns/frame (min-max)`);
    for (const name of names) {
      const wall = samples.get(name)!;
      const cpu = cpuSamples.get(name)!;
      const cell = (values: number[]) =>
        `${median(values).toFixed(0).padStart(6)} ${(median(values) / options.frames).toFixed(1).padStart(6)} (${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})`;
      console.log(`${name.padEnd(24)} ${cell(wall).padEnd(34)} ${cell(cpu)}`);
    }
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

main();
