import { describe, expect, it } from 'vitest';
import { classNameInSet, classNamesAcrossSets, cohortOf, readSets, repeatedFolder, splitOfFolder } from './sets';

const segs = (paths: string[]) => paths.map((p) => p.split('/'));

describe('set folder names', () => {
  it('the split a folder name gives, across separators, case changes and numbers', () => {
    expect(['forTEST', 'CRC_DX_TEST', 'CRC_KR_TRAIN', 'TrainSet', 'train2017', 'val2017', 'Validation', 'testset'].map(splitOfFolder)).toEqual([
      'test',
      'test',
      'train',
      'train',
      'train',
      'val',
      'val',
      'test',
    ]);
    expect(['dataset', 'MSIMUT', 'contest', 'Testis', 'colon_aca'].map(splitOfFolder)).toEqual([null, null, null, null, null]);
  });

  it('the cohort of a set folder, without its split word', () => {
    expect(['CRC_DX_TRAIN', 'CRC_DX_TEST', 'CRC_KR_TRAIN', 'train', 'forTEST'].map(cohortOf)).toEqual(['CRC_DX', 'CRC_DX', 'CRC_KR', '', '']);
  });

  it('class folder names without a set suffix or the set name in front', () => {
    expect(classNameInSet('colon_aca_test', 'forTEST')).toBe('colon_aca');
    expect(classNameInSet('colon_n_test', 'forTEST')).toBe('colon_n');
    expect(classNameInSet('MSS-train', 'train')).toBe('MSS');
    expect(classNameInSet('test_MSS', 'x')).toBe('MSS');
    expect(classNameInSet('CRC_DX_TRAIN_MSIMUT', 'CRC_DX_TRAIN')).toBe('MSIMUT');
    expect(classNameInSet('colon_aca', 'dataset')).toBe('colon_aca');
    expect(classNameInSet('test', 'x')).toBe('test');
  });

  it('matches class folders across sets case-insensitively, spelled as in the first set', () => {
    const name = classNamesAcrossSets(
      ['dataset', 'forTEST'],
      [
        { set: 1, folder: 'Colon_ACA_test' },
        { set: 0, folder: 'colon_aca' },
      ],
    );
    expect([name(0, 'colon_aca'), name(1, 'Colon_ACA_test')]).toEqual(['colon_aca', 'colon_aca']);
  });
});

describe('readSets', () => {
  it('top folders that each hold class folders, with shared classes', () => {
    const sets = readSets(segs(['dataset/a/1.png', 'dataset/a/2.png', 'dataset/b/3.png', 'forTEST/a_test/4.png', 'forTEST/b_test/5.png']));
    expect(sets?.map((s) => [s.name, s.folder, [...s.classes]])).toEqual([
      [
        'dataset',
        'dataset',
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      [
        'forTEST',
        'forTEST',
        [
          ['a_test', 1],
          ['b_test', 1],
        ],
      ],
    ]);
  });

  it('through wrapper folders named as the set or as a split, not through a lone class folder', () => {
    const sets = readSets(segs(['train/train/A/1.png', 'train/train/B/2.png', 'test/test/A/3.png', 'test/test/B/4.png']));
    expect(sets?.map((s) => s.folder)).toEqual(['test/test', 'train/train']);
    const lone = readSets(segs(['train/A/p1/1.png', 'train/B/p2/2.png', 'test/A/p3/3.png']));
    expect(lone?.map((s) => [s.folder, [...s.classes.keys()]])).toEqual([
      ['test', ['A']],
      ['train', ['A', 'B']],
    ]);
  });

  it('not class folders with patient folders inside, nor plain class folders, nor one top folder', () => {
    expect(readSets(segs(['MSS/TCGA-1/a.png', 'MSS/TCGA-2/b.png', 'MSIMUT/TCGA-3/c.png']))).toBeNull();
    expect(readSets(segs(['MSS/a.png', 'MSIMUT/b.png']))).toBeNull();
    expect(readSets(segs(['only/A/a.png', 'only/B/b.png']))).toBeNull();
    // A top folder of loose images is not a set.
    expect(readSets(segs(['train/A/1.png', 'train/B/2.png', 'test/3.png', 'test/4.png']))).toBeNull();
  });
});

describe('repeatedFolder', () => {
  it("finds a copy of the folders beside it (Kaggle's chest_xray/chest_xray), and nothing in a plain folder", () => {
    const tree = ['train/NORMAL/1.jpeg', 'train/PNEUMONIA/2.jpeg', 'test/NORMAL/3.jpeg', 'val/NORMAL/4.jpeg'];
    expect(repeatedFolder(segs([...tree, ...tree.map((p) => `chest_xray/${p}`)]))).toEqual({ folder: 'chest_xray', same: 4, files: 4 });
    expect(repeatedFolder(segs(tree))).toBeNull();
    expect(repeatedFolder(segs(['A/1.png', 'A/2.png', 'B/1.png', 'B/2.png']))).toBeNull();
  });
});
