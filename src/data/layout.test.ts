import { describe, expect, it } from 'vitest';
import { detectLayout, splitOfFolder } from './layout';
import { shuffled } from './testing/fixtures';

describe('detectLayout', () => {
  it('class folders, with or without a top folder', () => {
    const d = detectLayout(shuffled(['set/MSS/a.jpg', 'set/MSS/b.jpg', 'set/MSIMUT/c.jpg', 'set/README.md']));
    expect(d.layout).toEqual({ kind: 'class-folders', root: 'set', givenSplit: false });
    expect(d.evidence.join(' ')).toMatch(/MSIMUT \(1\), MSS \(2\)/);
  });

  it('given split folders (train/test, Train/Test, CRC_DX_TRAIN, val), one level deeper under a top folder', () => {
    for (const [tr, te] of [
      ['train', 'test'],
      ['Train', 'Test'],
      ['CRC_DX_TRAIN', 'CRC_DX_TEST'],
    ]) {
      const paths = [`top/inner/${tr}/MSS/a.png`, `top/inner/${tr}/MSIMUT/b.png`, `top/inner/${te}/MSS/c.png`, `top/inner/${te}/MSIMUT/d.png`];
      expect(detectLayout(shuffled(paths)).layout).toEqual({ kind: 'class-folders', root: 'top/inner', givenSplit: true });
    }
    expect(['val', 'Validation', 'valid'].map(splitOfFolder)).toEqual(['val', 'val', 'val']);
    expect(splitOfFolder('MSIMUT')).toBeNull();
  });

  it('file-name prefix (NCT-CRC-HE)', () => {
    const d = detectLayout(['nct/TUM-AACHEHDV.tif', 'nct/ADI-AAQEFMRI.tif', 'nct/NORM-AAAWMSFI.tif', 'nct/SOURCE.md']);
    expect(d.layout).toEqual({ kind: 'class-prefix', root: 'nct' });
  });

  it('Kvasir-SEG with its bbox JSON; CVC-ClinicDB in both usual forms', () => {
    const kvasir = detectLayout(
      shuffled(['Kvasir-SEG/images/a.jpg', 'Kvasir-SEG/masks/a.jpg', 'Kvasir-SEG/images/b.jpg', 'Kvasir-SEG/masks/b.jpg', 'Kvasir-SEG/kavsir_bboxes.json']),
    );
    expect(kvasir.layout).toEqual({
      kind: 'mask-pairs',
      variant: 'kvasir-seg',
      images: 'Kvasir-SEG/images',
      masks: 'Kvasir-SEG/masks',
      imageSuffix: '',
      maskSuffix: '',
      boxesFile: 'Kvasir-SEG/kavsir_bboxes.json',
    });
    const cvc = detectLayout(['CVC/Original/1.tif', 'CVC/Original/2.tif', 'CVC/Ground Truth/1.tif', 'CVC/Ground Truth/2.tif']);
    expect(cvc.layout).toMatchObject({ kind: 'mask-pairs', variant: 'cvc-clinicdb', images: 'CVC/Original', masks: 'CVC/Ground Truth' });
    const fram = detectLayout(['c/images/f_1_fram.jpg', 'c/images/f_2_fram.jpg', 'c/masks/f_2_mask.jpg', 'c/masks/f_1_mask.jpg']);
    expect(fram.layout).toMatchObject({ kind: 'mask-pairs', variant: 'cvc-clinicdb', imageSuffix: '_fram', maskSuffix: '_mask' });
  });

  it('box list beside one folder of images; alternatives offered; nothing recognisable', () => {
    const d = detectLayout(['d/boxes.csv', 'd/img/1.png', 'd/img/2.png']);
    expect(d.layout).toEqual({ kind: 'box-list', list: 'd/boxes.csv', root: 'd' });
    const both = detectLayout(['d/labels.csv', 'd/A/1.png', 'd/B/2.png']);
    expect(both.layout?.kind).toBe('class-folders');
    expect(both.alternatives.map((a) => a.kind)).toContain('box-list');
    expect(detectLayout(['x/1.png', 'x/2.png']).layout).toBeNull();
    expect(detectLayout(['x/README.md']).layout).toBeNull();
  });
});
