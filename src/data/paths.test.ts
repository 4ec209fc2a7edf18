import { describe, expect, it } from 'vitest';
import { extension, pathKind, stem } from './paths';

describe('paths', () => {
  it('sorts files by what their names say', () => {
    expect(['a/README', 'a/LICENSE', 'a/x.md', 'a/.DS_Store', 'a/Thumbs.db', 'a/notes.txt', '__MACOSX/a/._b.jpg', 'a/._b.jpg'].map(pathKind)).toEqual(
      new Array(8).fill('other'),
    );
    expect(['a/b.JPG', 'a/b.tiff', 'a/b.webp'].map(pathKind)).toEqual(['image', 'image', 'image']);
    expect(['a/scan_001', 'a/b.dcm2'].map(pathKind)).toEqual(['unknown', 'unknown']);
    expect([stem('a/b.c.png'), extension('a/b.c.PNG'), extension('a/.DS_Store')]).toEqual(['b.c', 'png', '']);
  });
});
