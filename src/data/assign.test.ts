import { describe, expect, it } from 'vitest';
import { comparePaths } from './paths';
import { assignFiles } from './assign';
import { shuffled } from './testing/fixtures';
import type { Layout } from './types';

function plan(paths: string[], layout: Layout) {
  const sorted = [...paths].sort(comparePaths);
  return {
    sorted,
    p: assignFiles(
      sorted,
      sorted.map(() => true),
      sorted.map(() => false),
      layout,
      null,
    ),
  };
}

describe('assignFiles', () => {
  it('pairs images and masks by stem (with suffixes), never by listing order', () => {
    const paths = shuffled([
      'c/images/b_fram.jpg',
      'c/images/a_fram.jpg',
      'c/masks/a_mask.jpg',
      'c/masks/b_mask.jpg',
      'c/masks/z_mask.jpg',
      'c/images/y_fram.jpg',
    ]);
    const { sorted, p } = plan(paths, {
      kind: 'mask-pairs',
      variant: 'cvc-clinicdb',
      images: 'c/images',
      masks: 'c/masks',
      imageSuffix: '_fram',
      maskSuffix: '_mask',
    });
    const pairs = p.items.map((it) => [sorted[it.image], sorted[it.mask!]]);
    expect(pairs).toEqual([
      ['c/images/a_fram.jpg', 'c/masks/a_mask.jpg'],
      ['c/images/b_fram.jpg', 'c/masks/b_mask.jpg'],
    ]);
    const skipped = Object.fromEntries([...p.skipped].map(([i, s]) => [sorted[i], s.code]));
    expect(skipped).toEqual({ 'c/images/y_fram.jpg': 'MASK_MISSING', 'c/masks/z_mask.jpg': 'MASK_WITHOUT_IMAGE' });
  });

  it('class folders: class from the folder, given split from the split folder; stray images are outside the layout', () => {
    const { sorted, p } = plan(['s/Train/MSS/1.png', 's/Test/MSIMUT/2.png', 's/readme.png', 's/Train/3.png'], {
      kind: 'class-folders',
      root: 's',
      givenSplit: true,
    });
    expect(p.items.map((it) => [sorted[it.image], it.className, it.split])).toEqual([
      ['s/Test/MSIMUT/2.png', 'MSIMUT', 'test'],
      ['s/Train/MSS/1.png', 'MSS', 'train'],
    ]);
    expect([...p.skipped.values()].map((s) => s.code)).toEqual(['OUTSIDE_LAYOUT', 'OUTSIDE_LAYOUT']);
    expect(p.classNames).toEqual(['MSIMUT', 'MSS']);
  });
});
