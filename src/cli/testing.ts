/**
 * Fixtures of the command line's tests: a folder of real PNG tiles in class folders, generated
 * (never copied from a real dataset), and a spec small enough for the CPU backend.
 * Node only; imported by tests alone.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateClassification } from '../data/synthetic';
import { encodePng } from '../data/testing/fixtures';

/** ROOT/<class>/<n>.png (32 px), from the generated histology tiles, and a stray README.txt. */
export async function writeTileFolder(root: string, count = 48): Promise<void> {
  const s = generateClassification({ count, size: 32, seed: 3 });
  for (let i = 0; i < s.count; i++) {
    const dir = join(root, s.classNames[s.labels[i]]);
    await mkdir(dir, { recursive: true });
    const rgba = new Uint8Array(32 * 32 * 4);
    for (let p = 0; p < 32 * 32; p++) {
      rgba.set(s.images.subarray(p * 3 + i * 32 * 32 * 3, p * 3 + 3 + i * 32 * 32 * 3), p * 4);
      rgba[p * 4 + 3] = 255;
    }
    await writeFile(join(dir, `${i}.png`), encodePng({ width: 32, height: 32, data: rgba }));
  }
  await writeFile(join(root, 'README.txt'), 'generated tiles');
}

const tiny = { arch: 'resnet18', width: 0.0625 };

/** A spec of tiny networks, one epoch of two steps, on 32 px tiles. */
export function tinySpec(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    name: 'CLI check',
    task: 'classify',
    inputSize: 32,
    teacher: tiny,
    students: [tiny, tiny],
    hyper: { epochs: 1, stepsPerEpoch: 2, batchSize: 8 },
    methods: ['ml', 'independent'],
    seeds: [0, 1],
    backend: 'cpu',
    ...over,
  };
}
