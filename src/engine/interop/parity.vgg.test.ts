/**
 * Parity of the zoo with real torchvision (Debian's python3-torch 1.13, torchvision 0.14, onnx),
 * on the CPU backend: the VGGs, with and without their classifier (testing/parity.ts `zooParity` says what is compared and
 * to which bound). COHORT_PARITY_ARCHS=families or a list narrows it. Without python3-torch the
 * suite is skipped with a loud message, never silently.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ARCHS } from '../../core/archs';
import { chosenArchs, torchReady, zooParity } from './testing/parity';

const archs = chosenArchs(ARCHS.filter((a) => a.startsWith('vgg')));

describe.skipIf(!torchReady() || archs.length === 0)('zoo parity with torchvision (CPU backend): the VGGs, with and without their classifier', () => {
  let dir = '';
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'cohort-parity-vgg-'));
    ort.env.wasm.numThreads = 1;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${archs.join(', ')}: torchvision weights in, the same logits (inference and BatchNorm training mode) and running statistics; our export back out`, async () => {
    await zooParity(dir, archs);
  });
});
