/**
 * The hostile-file corpus (src/data/testing/hostile.ts) through the real import and the real
 * "Open bundle" in Node: every case gets its code, and the import keeps the good files around it.
 * e2e/hostile.spec.ts runs the same corpus in the studio and measures the worker's memory.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeDecoder } from './data/decode-node';
import { importDataset } from './data/importer';
import { encodePng, draw, memFile } from './data/testing/fixtures';
import { HOSTILE_CASES } from './data/testing/hostile';
import { closeBundle, openBundle } from './engine/bundle';
import type { ErrorInfo } from './core/errors';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const good = (seed: number) => encodePng(draw(24, 24, (x, y) => [(x * 9 + seed * 40) % 256, (y * 7) % 256, 128]));

describe('hostile images through the import', () => {
  for (const c of HOSTILE_CASES.filter((x) => x.kind === 'image')) {
    it(`${c.id}: ${c.what} -> ${c.expect}`, async () => {
      const files = [
        memFile('set/A/a0.png', good(0)),
        memFile('set/A/a1.png', good(1)),
        memFile(`set/A/${c.name}`, c.bytes()),
        memFile('set/B/b0.png', good(2)),
        memFile('set/B/b1.png', good(3)),
      ];
      const r = await importDataset(files, { inputSize: 32 }, nodeDecoder);
      const entry = r.report.files.find((f) => f.path === `set/A/${c.name}`)!;
      expect(entry.status, 'message' in entry ? entry.message : '').toBe(c.expect);
      // The good files around it are all imported.
      expect(r.samples.count).toBe(c.expect === 'ok' ? 5 : 4);
      expect(r.blocking).toEqual([]);
    });
  }
});

describe('hostile bundles through Open bundle', () => {
  for (const c of HOSTILE_CASES.filter((x) => x.kind === 'bundle')) {
    it(`${c.id}: ${c.what} -> ${c.expect}`, async () => {
      const before = tf.memory().numTensors;
      const bytes = c.bytes();
      // The worker opens the user's File (a Blob read by slices); the same path here.
      const r = await openBundle(new Blob([bytes as Uint8Array<ArrayBuffer>])).then(
        (b) => {
          closeBundle(b);
          return null;
        },
        (e: unknown) => e as ErrorInfo & { subject?: string; details?: { issues?: { field: string }[] } },
      );
      if (c.expect === 'ok') expect(r).toBeNull();
      else {
        expect(r?.code, r?.message).toBe(c.expect);
        for (const n of c.names?.split(',') ?? []) {
          const named = [r!.subject, ...(r!.details?.issues ?? []).map((i) => i.field)];
          expect(named, r!.message).toContain(n);
        }
      }
      // Nothing was built (or what was built was freed).
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a file over the size cap is refused from its size alone', async () => {
    const e = await openBundle(new Blob([new Uint8Array(4096)]), { maxFileBytes: 1024, maxEntries: 10, maxTotalBytes: 1024 }).catch((x: unknown) => x);
    expect((e as ErrorInfo).code).toBe('BUNDLE_TOO_LARGE');
  });
});
