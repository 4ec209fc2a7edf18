import { describe, expect, it } from 'vitest';
import { defaultSpec, parseSpec } from '../core/spec';
import { studyFromSample } from '../experiment/session';
import { canonicalJson, datasetHash, specHash } from './provenance';

describe('content hashes', () => {
  it('a spec hashes the same whatever the order of its keys, and differently when a value changes', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const a = parseSpec(defaultSpec({ seeds: [0, 1] }));
    const reordered = parseSpec(JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(a).reverse()))));
    expect(specHash(reordered)).toBe(specHash(a));
    expect(specHash(parseSpec({ ...a, hyper: { ...a.hyper, lr: 0.02 } }))).not.toBe(specHash(a));
  });

  it('a dataset hashes by its pixels, labels and names below its folder, not by the folder it sits in', () => {
    const study = () => {
      const s = studyFromSample('classify', 12, 32);
      s.samples.ids = Array.from({ length: 12 }, (_, i) => `tiles/c${i % 2}/${i}.png`);
      return s;
    };
    const h = datasetHash(study());
    const moved = study();
    moved.samples.ids = moved.samples.ids!.map((id) => id.replace(/^tiles\//, 'copy-of-tiles/'));
    expect(datasetHash(moved)).toBe(h);
    const pixel = study();
    pixel.samples.images[100] ^= 1;
    expect(datasetHash(pixel)).not.toBe(h);
    const label = study();
    label.samples.labels![0] = 1 - label.samples.labels![0];
    expect(datasetHash(label)).not.toBe(h);
    const renamed = study();
    renamed.samples.ids![3] = 'tiles/c1/other.png';
    expect(datasetHash(renamed)).not.toBe(h);
  });
});
