import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gpu } from './gpu';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The CPU backend re-registered with an asynchronous factory, as WebGPU's is: the case where two
 * overlapping `tf.setBackend` calls interfere. Its kernels stay registered under 'cpu'.
 */
function asyncCpu(): void {
  const factory = tf.findBackendFactory('cpu');
  if (!factory) throw new Error('no cpu backend factory');
  tf.removeBackend('cpu');
  tf.registerBackend('cpu', async () => {
    await delay(20);
    return factory();
  });
}

describe('Gpu.init', () => {
  let original: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
  beforeAll(() => {
    original = tf.findBackendFactory('cpu') ?? undefined;
  });
  afterAll(() => {
    tf.removeBackend('cpu');
    if (original) tf.registerBackend('cpu', original, 1);
  });

  it('tfjs-core resolves the first of two overlapping setBackend calls of an async backend false', async () => {
    // The library behaviour the single flight in Gpu.init works around (tfjs-core 4.22 engine.ts,
    // "Outdated promise. Another backend was set in the meantime").
    asyncCpu();
    const [first, second] = await Promise.all([tf.setBackend('cpu'), tf.setBackend('cpu')]);
    expect([first, second]).toEqual([false, true]);
  });

  it('gives overlapping calls one backend, as React StrictMode makes them in npm run dev', async () => {
    asyncCpu();
    const gpu = new Gpu();
    const [a, b] = await Promise.all([gpu.init(['cpu']), gpu.init(['cpu'])]);
    expect(a).toEqual({ backend: 'cpu', fallbacks: [], fastKernels: false, replay: false });
    expect(b).toEqual(a);
    expect(tf.getBackend()).toBe('cpu');
    expect(gpu.ready).toBe(true);
  });

  it('chooses again after a call in flight when the next call prefers another backend', async () => {
    asyncCpu();
    const gpu = new Gpu();
    const first = gpu.init(['cpu']);
    // 'webgl' has no factory in Node: tf.setBackend throws, the reason is reported, the CPU runs.
    const second = gpu.init(['webgl', 'cpu']);
    expect((await first).backend).toBe('cpu');
    const r = await second;
    expect(r.backend).toBe('cpu');
    expect(r.fallbacks.map((f) => f.backend)).toEqual(['webgl']);
  });
});
