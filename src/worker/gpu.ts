/**
 * The worker's compute backend: WebGPU, else WebGL, else the CPU, with the reason each preferred
 * one failed; the engine's fast WebGPU kernels; and the watch on the GPU device, which turns a lost
 * device or an out-of-memory error into a typed error at the next step. An out-of-memory state
 * is cleared once the device shows it has room again (`recover`, before each experiment), so
 * lowering the batch size and training again works without a reload; a lost device is not.
 *
 * Owns: backend choice, device and memory watch, memory in use. Runs in the studio worker.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { EngineError, type ErrorCode } from '../core/errors';
import { enableFastKernels, fastKernelsActive } from '../engine/kernels/fastKernels';
import { replayEnabled, setReplayEnabled } from '../engine/kernels/state';
import type { BackendName, BackendReport } from './protocol';

export class Gpu {
  private report: BackendReport | null = null;
  private pending: Promise<BackendReport> | null = null;
  private deviceLost: string | null = null;
  private outOfMemory: string | null = null;
  private watched: GPUDevice | null = null;

  /** Bytes the recovery probe allocates: a small share of what one training step needs. */
  static readonly PROBE_BYTES = 16 * 2 ** 20;

  /**
   * Use the first backend of `preferred` that runs; the same report again once one is chosen.
   * Overlapping calls wait for the one in flight: React's StrictMode runs the page's start-up effect
   * twice in `npm run dev`, and a second `tf.setBackend` while the first one's async backend is
   * still initialising makes tfjs-core drop the first ("outdated promise": it resolves false),
   * which left the dev server's studio on WebGL or the CPU.
   */
  async init(preferred: BackendName[] = ['webgpu', 'webgl', 'cpu'], options: { fastKernels?: boolean; replay?: boolean } = {}): Promise<BackendReport> {
    while (this.pending) await this.pending.catch(() => undefined);
    if (this.report && this.report.backend === preferred[0]) return this.report;
    const choice = this.choose(preferred, options);
    this.pending = choice;
    try {
      return await choice;
    } finally {
      if (this.pending === choice) this.pending = null;
    }
  }

  private async choose(preferred: BackendName[], options: { fastKernels?: boolean; replay?: boolean }): Promise<BackendReport> {
    const fast = options.fastKernels ?? true;
    // The trainer records its step once and replays it (engine/stepGraph.ts) unless asked not to.
    setReplayEnabled(options.replay ?? true);
    const fallbacks: BackendReport['fallbacks'] = [];
    for (const name of preferred) {
      const reason = await this.tryBackend(name, fast);
      if (reason === null)
        return (this.report = {
          backend: name,
          fallbacks,
          fastKernels: name === 'webgpu' && fastKernelsActive(),
          replay: name === 'webgpu' && fastKernelsActive() && replayEnabled(),
        });
      fallbacks.push({ backend: name, reason });
    }
    throw new EngineError('BACKEND_UNAVAILABLE', `No backend could run: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
  }

  get ready(): boolean {
    return this.report !== null;
  }

  /** The lost device or out-of-memory error seen since the backend started, as a typed error. */
  fault(): EngineError | null {
    if (this.deviceLost) {
      return new EngineError(
        'DEVICE_LOST',
        `${this.deviceLost}. Finished runs and the last checkpoint are kept: restart the GPU worker and resume, or switch backend.`,
      );
    }
    if (this.outOfMemory) {
      return new EngineError(
        'GPU_OUT_OF_MEMORY',
        `The GPU ran out of memory (${this.outOfMemory}). Lower the batch size or the input size, or choose Quick networks, then resume.`,
      );
    }
    return null;
  }

  /**
   * Clear an out-of-memory state when the device has recovered: once the queue is idle, a probe
   * buffer is created inside an 'out-of-memory' error scope; no error means the memory is back.
   * Returns whether the GPU is fit to train (a lost device never is).
   */
  async recover(): Promise<boolean> {
    if (this.deviceLost) return false;
    if (!this.outOfMemory) return true;
    const device = this.watched;
    if (!device) return false;
    try {
      await device.queue.onSubmittedWorkDone();
      device.pushErrorScope('out-of-memory');
      const probe = device.createBuffer({ size: Gpu.PROBE_BYTES, usage: 0x80 /* GPUBufferUsage.STORAGE, a constant Node lacks */ });
      const error = await device.popErrorScope();
      probe.destroy();
      if (error === null) this.outOfMemory = null;
    } catch {
      // A device that cannot even run the probe has not recovered.
    }
    return this.outOfMemory === null && this.deviceLost === null;
  }

  /** A run's error as a GPU fault, where it is one (a lost device can surface as a mapAsync abort first). */
  classify(e: unknown): { code: ErrorCode; message: string } | null {
    const f = this.fault();
    if (f) return { code: f.code, message: f.message };
    if (e instanceof Error && /device (is |was )?(lost|destroyed)|mapAsync|AbortError/i.test(`${e.name} ${e.message}`)) {
      return { code: 'DEVICE_LOST', message: `The GPU device was lost (${e.message}). Restart the GPU worker and resume.` };
    }
    return null;
  }

  /** Destroy the device, as a driver reset would (diagnostics). */
  simulateDeviceLoss(): boolean {
    const d = this.device();
    d?.destroy();
    return !!d;
  }

  memory(): { numTensors: number; numBytes: number; gpuBytes: number | null; backend: string } {
    const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    return { numTensors: m.numTensors, numBytes: m.numBytes, gpuBytes: m.numBytesInGPU ?? null, backend: tf.getBackend() };
  }

  private device(): GPUDevice | null {
    return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
  }

  /** Watch `device` for loss and out-of-memory errors (the backend's own device; a fake in tests). */
  watchDevice(device: GPUDevice | null = this.device()): void {
    if (!device) return;
    this.watched = device;
    device.lost.then((info) => {
      this.deviceLost = `${info.reason === 'destroyed' ? 'The GPU device was destroyed' : 'The GPU device was lost'}${info.message ? `: ${info.message}` : ''}`;
    });
    device.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      if (typeof GPUOutOfMemoryError !== 'undefined' && err instanceof GPUOutOfMemoryError) this.outOfMemory = err.message || 'out of GPU memory';
    });
  }

  private async tryBackend(name: BackendName, fastKernels: boolean): Promise<string | null> {
    try {
      if (name === 'webgpu') {
        const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        if (!gpu) return 'navigator.gpu is not available in this browser';
        if (!(await gpu.requestAdapter())) return 'no WebGPU adapter was found';
      }
      if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed`;
      await tf.ready();
      if (name === 'webgpu') {
        this.watchDevice();
        // The engine's own WebGPU kernels (src/engine/kernels): same results within 1e-4 of stock,
        // about 5x fewer dispatches and 9-21x faster steps (README, Performance).
        if (fastKernels) enableFastKernels();
      }
      const t = tf.add(tf.scalar(1), tf.scalar(1));
      const v = (await t.data())[0];
      t.dispose();
      return v === 2 ? null : `a test kernel on ${name} returned ${v}`;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }
}
