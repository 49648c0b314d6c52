// Copy endpoints for `aoe copy`: an AoE device (aoe:eX.Y) or a file, behind one positional read/write interface.
import { open, type FileHandle } from 'node:fs/promises';
import { openDevice, type Device, type PolicyName } from '../../initiator/index.js';
import { UsageError } from '../common.js';

export interface Endpoint {
  label: string;
  /** Bytes available from `base` on. */
  size: number;
  device: Device | undefined;
  read(buffer: Buffer, position: number): Promise<void>;
  write(buffer: Buffer, position: number): Promise<void>;
  finish(): Promise<void>;
  close(): Promise<void>;
}

export interface EndpointContext {
  interfaces: string[];
  netns: string | undefined;
  policy: PolicyName | undefined;
  deadlineMs: number | undefined;
}

export function isDeviceSpec(spec: string): boolean {
  return spec.startsWith('aoe:');
}

/** aoe:eX.Y -> device endpoint at byte `base`; anything else -> file (created for writing). */
export async function openEndpoint(spec: string, forWrite: boolean, base: number, context: EndpointContext): Promise<Endpoint> {
  if (isDeviceSpec(spec)) {
    const device = await openDevice(spec.slice(4), { interfaces: context.interfaces, netns: context.netns, policy: context.policy, deadlineMs: context.deadlineMs });
    if (base > device.size) {
      await device.close();
      throw new UsageError(`--offset ${base} is beyond the end of ${spec} (${device.size} bytes)`, { code: 'ERR_AOE_RANGE', exitCode: 1 });
    }
    return {
      label: spec, size: device.size - base, device,
      read: (buffer, position) => device.readInto(buffer, base + position),
      write: (buffer, position) => device.write(base + position, buffer),
      finish: () => (forWrite ? device.flush() : Promise.resolve()),
      close: () => device.close(),
    };
  }
  let handle: FileHandle;
  try {
    handle = await open(spec, forWrite ? 'w' : 'r');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(`cannot open ${spec}: ${code ?? (error as Error).message}`, { code: code ?? 'ENOENT', exitCode: 1 });
  }
  const size = forWrite ? Number.MAX_SAFE_INTEGER : (await handle.stat()).size;
  return {
    label: spec, size, device: undefined,
    read: async (buffer, position) => {
      let done = 0;
      while (done < buffer.length) {
        const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
        if (bytesRead === 0) { buffer.fill(0, done); break; }
        done += bytesRead;
      }
    },
    write: async (buffer, position) => {
      let done = 0;
      while (done < buffer.length) done += (await handle.write(buffer, done, buffer.length - done, position + done)).bytesWritten;
    },
    finish: () => (forWrite ? handle.sync() : Promise.resolve()),
    close: () => handle.close(),
  };
}
