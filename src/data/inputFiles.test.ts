import { describe, expect, it } from 'vitest';
import { inputFilesOf, withPath } from './inputFiles';

describe('inputFilesOf', () => {
  it('takes the path the caller collected, else webkitRelativePath, else the name; reads lazily', async () => {
    const a = withPath(new File([Uint8Array.of(1, 2, 3)], 'a.png'), '/Kvasir-SEG/images/a.png');
    const b = withPath(new File([Uint8Array.of(4)], 'b.png'));
    const c = withPath(Object.defineProperty(new File([], 'c.png'), 'webkitRelativePath', { value: 'set\\MSS\\c.png' }));
    const [fa, fb, fc] = inputFilesOf([a, b, c]);
    expect([fa.path, fa.size, fb.path, fc.path]).toEqual(['Kvasir-SEG/images/a.png', 3, 'b.png', 'set/MSS/c.png']);
    expect(Array.from(await fa.read())).toEqual([1, 2, 3]);
  });

  it('keeps each path across a structured clone, as postMessage to the worker does', async () => {
    const f = new File([Uint8Array.of(9)], 'x.png');
    // What Firefox and Safari lose on the way: a path set on the File itself.
    Object.defineProperty(f, 'relativePath', { value: 'tiles/MSS/x.png' });
    const [cloned] = structuredClone([withPath(f, 'tiles/MSS/x.png')]);
    expect((cloned.file as File & { relativePath?: string }).relativePath).toBeUndefined();
    const [input] = inputFilesOf([cloned]);
    expect(input.path).toBe('tiles/MSS/x.png');
    expect(Array.from(await input.read())).toEqual([9]);
  });
});
