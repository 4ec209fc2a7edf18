import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gpu } from './gpu';

class FakeOutOfMemoryError extends Error {}

/** A device as much as the watch and the probe use: events, error scopes, buffers, a queue. */
class FakeDevice extends EventTarget {
  lost = new Promise<never>(() => {});
  /** Whether the next probe allocation fails with out-of-memory. */
  full = true;
  private scopes: (Error | null)[] = [];
  queue = { onSubmittedWorkDone: async () => {} };
  pushErrorScope(): void {
    this.scopes.push(null);
  }
  async popErrorScope(): Promise<Error | null> {
    return this.scopes.pop() ?? null;
  }
  createBuffer(d: { size: number }) {
    if (this.full) this.scopes[this.scopes.length - 1] = new FakeOutOfMemoryError(`cannot allocate ${d.size} bytes`);
    return { destroy() {} };
  }
  outOfMemory(): void {
    const ev = new Event('uncapturederror') as Event & { error: Error };
    ev.error = new FakeOutOfMemoryError('Out of memory');
    this.dispatchEvent(ev);
  }
}

const g = globalThis as { GPUOutOfMemoryError?: unknown };
const had = g.GPUOutOfMemoryError;
beforeAll(() => {
  g.GPUOutOfMemoryError = FakeOutOfMemoryError;
});
afterAll(() => {
  g.GPUOutOfMemoryError = had;
});

describe('the GPU watch', () => {
  it('an out-of-memory error refuses training until the device has room again, then is cleared', async () => {
    const gpu = new Gpu();
    const device = new FakeDevice();
    gpu.watchDevice(device as unknown as GPUDevice);
    expect(gpu.fault()).toBeNull();
    device.outOfMemory();
    expect(gpu.fault()?.code).toBe('GPU_OUT_OF_MEMORY');
    // Still full: the probe fails and the state stays.
    expect(await gpu.recover()).toBe(false);
    expect(gpu.fault()?.code).toBe('GPU_OUT_OF_MEMORY');
    // The memory is back (smaller batch, other tabs closed): the next experiment may train.
    device.full = false;
    expect(await gpu.recover()).toBe(true);
    expect(gpu.fault()).toBeNull();
  });

  it('a lost device is never cleared by the probe', async () => {
    const gpu = new Gpu();
    const device = new FakeDevice();
    let lose: (v: { reason: string; message: string }) => void = () => {};
    (device as unknown as { lost: Promise<unknown> }).lost = new Promise((r) => (lose = r));
    device.full = false;
    gpu.watchDevice(device as unknown as GPUDevice);
    lose({ reason: 'unknown', message: 'driver reset' });
    await new Promise((r) => setTimeout(r, 0));
    expect(await gpu.recover()).toBe(false);
    expect(gpu.fault()?.code).toBe('DEVICE_LOST');
  });
});
