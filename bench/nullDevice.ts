/// <reference types="@webgpu/types" />
/**
 * `npm run bench -- --null-device`: the step on Dawn's Null backend, which validates and counts
 * every command but runs none, so the dispatches per step and the buffer pool's peak at 224 px can
 * be counted on a machine without a GPU. The Null backend refuses more than 512 MB of buffers in
 * all, so every larger buffer gets 256 bytes of real storage while reporting its requested size to
 * tfjs (its pool keys buffers by size), and its mapped ranges live in host memory only (uploads
 * write there, reads get zeros). Commands that touch beyond those 256 bytes fail validation; that
 * changes no count. Losses read back are meaningless. Validation errors are counted, not printed.
 */
import * as tf from '@tensorflow/tfjs';

const REAL_BYTES = 256;

export function shrinkBuffersOnNullDevice(): { errors: () => number } {
  const device = (tf.backend() as unknown as { device: GPUDevice }).device;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor) => {
    if (desc.size <= REAL_BYTES) return create(desc);
    const buf = create({ ...desc, size: REAL_BYTES });
    Object.defineProperty(buf, 'size', { value: desc.size });
    // A mapped range of the requested size, in host memory only: uploads write into it and reads
    // get zeros; none of it reaches the device.
    const real = buf.getMappedRange.bind(buf);
    Object.defineProperty(buf, 'getMappedRange', {
      value: (offset = 0, size?: number) => {
        real();
        return new ArrayBuffer(size ?? desc.size - offset);
      },
    });
    return buf;
  };
  let errors = 0;
  device.addEventListener('uncapturederror', (e) => {
    errors++;
    const err = (e as GPUUncapturedErrorEvent).error;
    if (!(err instanceof GPUValidationError)) console.log(`NULL DEVICE: ${err.constructor.name}: ${err.message.split('\n')[0]}`);
    e.preventDefault();
  });
  return { errors: () => errors };
}
