import { describe, expect, it } from 'vitest';
import { inputFilesOf } from './inputFiles';

describe('inputFilesOf', () => {
  it('takes the relative path a drop collected, else webkitRelativePath, else the name; reads lazily', async () => {
    const a = Object.assign(new File([Uint8Array.of(1, 2, 3)], 'a.png'), { relativePath: '/Kvasir-SEG/images/a.png' });
    const b = new File([Uint8Array.of(4)], 'b.png');
    const [fa, fb] = inputFilesOf([a, b]);
    expect([fa.path, fa.size, fb.path]).toEqual(['Kvasir-SEG/images/a.png', 3, 'b.png']);
    expect(Array.from(await fa.read())).toEqual([1, 2, 3]);
  });
});
