import { describe, expect, it } from 'vitest';
import { describeLayout, detectLayout, splitOfFolder } from './layout';
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

  it('set folders holding class folders of their own, class names matched without the set suffix (LC25000 as downloaded)', () => {
    const paths = [
      ...Array.from({ length: 5 }, (_, i) => `lc25000-colon/dataset/colon_aca/colonca${i}.jpeg`),
      ...Array.from({ length: 5 }, (_, i) => `lc25000-colon/dataset/colon_n/colonn${i}.jpeg`),
      'lc25000-colon/forTEST/colon_aca_test/aca0.jpeg',
      'lc25000-colon/forTEST/colon_n_test/n0.jpeg',
      'lc25000-colon/SOURCE.md',
      'lc25000-colon/DERIVED_source_groups.csv',
    ];
    const d = detectLayout(shuffled(paths));
    // The groups file beside the sets is read for the split, and never offered as a box list.
    expect(d.alternatives.map((a) => a.kind)).not.toContain('box-list');
    expect(d.layout).toEqual({
      kind: 'class-sets',
      root: 'lc25000-colon',
      sets: [
        { folder: 'dataset', split: 'train' },
        { folder: 'forTEST', split: 'test' },
      ],
    });
    const ev = d.evidence.join(' | ');
    expect(ev).toContain('colon_aca (dataset 5, forTEST 1); colon_n (dataset 5, forTEST 1)');
    expect(ev).toContain('"forTEST/colon_aca_test" is colon_aca');
    expect(ev).toContain('"dataset" names no split: it is used for training');
    // The user may still read the sets pooled, one set alone, or the top folders as the classes.
    const alts = d.alternatives.map(describeLayout);
    expect(alts[0]).toMatch(/"dataset" and "forTEST" .* pooled; a seeded split/);
    expect(d.alternatives).toContainEqual({ kind: 'class-sets', root: 'lc25000-colon', sets: [{ folder: 'dataset', split: null }] });
    expect(d.alternatives).toContainEqual({ kind: 'class-folders', root: 'lc25000-colon', givenSplit: false });
  });

  it("Kather's CRC_DX and CRC_KR cohorts: one cohort read, the other and both pooled offered", () => {
    const paths = ['CRC_DX_TRAIN', 'CRC_DX_TEST', 'CRC_KR_TRAIN', 'CRC_KR_TEST'].flatMap((set) =>
      ['MSIMUT', 'MSS'].map((c) => `MSI/${set}/${c}/blk-${set}-${c}.png`),
    );
    const d = detectLayout(shuffled(paths));
    expect(d.layout).toEqual({
      kind: 'class-sets',
      root: 'MSI',
      sets: [
        { folder: 'CRC_DX_TRAIN', split: 'train' },
        { folder: 'CRC_DX_TEST', split: 'test' },
      ],
    });
    expect(d.evidence[0]).toMatch(/2 cohorts.*CRC_DX.*CRC_KR.*CRC_DX is read/);
    expect(d.alternatives.slice(0, 2)).toEqual([
      {
        kind: 'class-sets',
        root: 'MSI',
        sets: [
          { folder: 'CRC_KR_TRAIN', split: 'train' },
          { folder: 'CRC_KR_TEST', split: 'test' },
        ],
      },
      {
        kind: 'class-sets',
        root: 'MSI',
        sets: [
          { folder: 'CRC_DX_TRAIN', split: 'train' },
          { folder: 'CRC_KR_TRAIN', split: 'train' },
          { folder: 'CRC_DX_TEST', split: 'test' },
          { folder: 'CRC_KR_TEST', split: 'test' },
        ],
      },
    ]);
  });

  it("Kaggle's nesting: train/val/test with a repeated copy of itself, and train/train wrappers", () => {
    const tree = ['train', 'val', 'test'].flatMap((sp) => ['NORMAL', 'PNEUMONIA'].flatMap((c) => [1, 2].map((i) => `${sp}/${c}/${c}-${i}.jpeg`)));
    const d = detectLayout(shuffled([...tree.map((p) => `chest_xray/${p}`), ...tree.map((p) => `chest_xray/chest_xray/${p}`), '__MACOSX/chest_xray/._x.jpeg']));
    expect(d.layout).toEqual({ kind: 'class-folders', root: 'chest_xray', givenSplit: true, exclude: ['chest_xray'] });
    expect(d.evidence[0]).toMatch(/"chest_xray\/chest_xray" repeats the folders beside it \(12 of its 12/);
    const wrapped = detectLayout(shuffled(['k/train/train/A/1.png', 'k/train/train/B/2.png', 'k/test/test/A/3.png', 'k/test/test/B/4.png']));
    expect(wrapped.layout).toEqual({
      kind: 'class-sets',
      root: 'k',
      sets: [
        { folder: 'train/train', split: 'train' },
        { folder: 'test/test', split: 'test' },
      ],
    });
  });

  it('sets that name no split are pooled; class folders with patient folders inside stay class folders', () => {
    const sites = detectLayout(['t/siteA/tumor/1.png', 't/siteA/normal/2.png', 't/siteB/tumor/3.png', 't/siteB/normal/4.png']);
    expect(sites.layout).toEqual({
      kind: 'class-sets',
      root: 't',
      sets: [
        { folder: 'siteA', split: null },
        { folder: 'siteB', split: null },
      ],
    });
    expect(sites.evidence.join(' ')).toContain('the sets are pooled');
    const patients = detectLayout(['t/MSS/TCGA-A1/1.png', 't/MSS/TCGA-A2/2.png', 't/MSIMUT/TCGA-B1/3.png']);
    expect(patients.layout).toEqual({ kind: 'class-folders', root: 't', givenSplit: false });
  });
});
