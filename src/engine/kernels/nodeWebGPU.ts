/// <reference types="@webgpu/types" />
/**
 * TensorFlow.js's WebGPU backend under Node, through Dawn (the `webgpu` npm package), for the GPU
 * tests and the benchmark; never imported by the app. Dawn is exposed as a browser would expose
 * WebGPU (globals + navigator.gpu) before the backend module is loaded. Without a GPU, point the
 * Vulkan loader at SwiftShader first: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';

/** SwiftShader's Vulkan driver as the chromium package installs it. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface DawnInfo {
  backend: string;
  adapter: { vendor?: string; architecture?: string; description?: string; device?: string };
}

let ready: Promise<DawnInfo> | null = null;

/**
 * Load Dawn from `dawnModule` (a path or package name; default 'webgpu'), register it as
 * navigator.gpu, import tfjs-backend-webgpu and make 'webgpu' the active backend. `dawnFlags` go to
 * Dawn's `create` (e.g. 'enable-dawn-features=allow_unsafe_apis', which exposes timestamp queries
 * for profiling).
 */
export function startDawn(dawnModule = 'webgpu', dawnFlags: string[] = []): Promise<DawnInfo> {
  ready ??= (async () => {
    const dawn = (await import(/* @vite-ignore */ dawnModule)) as {
      create: (flags: string[]) => GPU;
      globals: Record<string, unknown>;
    };
    Object.assign(globalThis, dawn.globals);
    let gpu = dawn.create(dawnFlags);
    let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
      // No usable Vulkan device (a machine without a GPU): fall back to SwiftShader, which the
      // Vulkan loader picks up when the next instance is created.
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      gpu = dawn.create(dawnFlags);
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    }
    if (!adapter) throw new Error(`Dawn found no WebGPU adapter (without a GPU, set VK_ICD_FILENAMES=${SWIFTSHADER_ICD})`);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const a = (adapter as unknown as { info?: Record<string, string> }).info ?? {};
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
    await tf.ready();
    return { backend: tf.getBackend(), adapter: { vendor: a.vendor, architecture: a.architecture, description: a.description, device: a.device } };
  })();
  return ready;
}
