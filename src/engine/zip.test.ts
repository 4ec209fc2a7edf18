import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readZipDirectory, readZipEntry, zipSource } from './zip';
import { zipFile } from '../data/testing/hostile';

const limits = { maxFileBytes: 2 ** 30, maxEntries: 100 };

describe('the untrusted zip reader', () => {
  it('reads what fflate writes, stored and deflated, folders left out, from bytes or a Blob', async () => {
    const big = new Uint8Array(300_000).map((_, i) => (i * 31) % 7);
    const zip = zipSync({ 'b/ensemble.json': strToU8('{"a":1}'), 'b/student1': {}, 'b/student1/weights.bin': [big, { level: 6 }] }, { level: 0 });
    for (const src of [zipSource(zip), zipSource(new Blob([zip]))]) {
      const entries = await readZipDirectory(src, limits);
      expect(entries.map((e) => `${e.name}:${e.method}`).sort()).toEqual(['b/ensemble.json:0', 'b/student1/weights.bin:8']);
      const w = await readZipEntry(
        src,
        entries.find((e) => e.name.endsWith('weights.bin'))!,
      );
      expect(w.length).toBe(big.length);
      expect(w.every((v, i) => v === big[i])).toBe(true);
    }
  });

  it('refuses duplicates, encryption, unknown methods and a declared size the data cannot reach', async () => {
    const code = (z: Uint8Array, l = limits) =>
      readZipDirectory(zipSource(z), l).then(
        () => 'ok',
        (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
      );
    const a = { name: 'a.json', data: strToU8('{}') };
    expect(await code(zipFile([a, a]))).toMatch(/lists "a.json" twice/);
    expect(await code(zipFile([{ name: 'a', data: new Uint8Array(10), method: 8, body: new Uint8Array(10), declaredSize: 50_000 }]))).toMatch(
      /more than its 10 compressed bytes/,
    );
    expect(await code(zipFile([{ ...a, name: 'C:/x' }]))).toMatch(/absolute path/);
    expect(await code(zipFile([a]), { maxFileBytes: 10, maxEntries: 10 })).toMatch(/^BUNDLE_TOO_LARGE/);
    const enc = zipFile([a]);
    enc[enc.length - 22 - 46 - 6 + 8] |= 1; // the directory entry's flags: encrypted
    expect(await code(enc)).toMatch(/encrypted/);
  });
});
