import { describe, expect, it } from 'vitest';
import { splitForSeed } from './datasets';
import { studyFromImport } from './session';
import { nodeDecoder } from '../data/decode-node';
import { importDataset } from '../data/importer';
import { groupedTiles, groupsCsv } from '../data/testing/groupedTiles';
import { memFile, shuffled } from '../data/testing/fixtures';
import type { ImportResult } from '../data/types';

const S = 8;
const CLASSES = ['MSIMUT', 'MSS'];

/** Every seed's split as the session draws it: no group may have images in two sets. */
function expectNoGroupInTwoSets(r: ImportResult, groupOf: Map<string, string>, seeds: number) {
  const study = studyFromImport('tiles', r, 'test');
  const s = study.samples;
  expect(s.groups).toHaveLength(s.count);
  s.ids!.forEach((id, i) => expect(s.groups![i]).toBe(groupOf.get(id)));
  for (let seed = 0; seed < seeds; seed++) {
    const parts = splitForSeed(s, { testShare: 0.2, valShare: 0.2, splitSeed: 'per-seed', classNames: r.classNames, byGroup: true }, seed);
    const setOf = new Map<string, string>();
    for (const [name, idx] of Object.entries(parts)) {
      for (const i of idx) {
        const g = s.groups![i];
        expect(setOf.get(g) ?? name, `seed ${seed}: group ${g} in ${setOf.get(g)} and ${name}`).toBe(name);
        setOf.set(g, name);
      }
    }
    // Both classes are tested, and trained on.
    for (const c of [0, 1]) {
      expect(parts.test.some((i) => s.labels![i] === c)).toBe(true);
      expect(parts.train.some((i) => s.labels![i] === c)).toBe(true);
    }
  }
}

describe('grouped splits of imported folders', () => {
  it('TCGA barcodes of 12 patients in two class folders: recognised, shown as evidence, and no patient is in two sets for 20 seeds', async () => {
    const { files, groupOf } = groupedTiles('TCGA-CRC', CLASSES, { patients: 6, min: 2, max: 7, named: true });
    const r = await importDataset(shuffled(files, 3), { inputSize: S, valShare: 0.2 }, nodeDecoder);
    expect(r.blocking).toEqual([]);
    const g = r.report.groups!;
    expect(g).toMatchObject({ source: 'tcga', groups: 12, grouped: files.length, ungrouped: 0, splitBy: 'group', groupsInBoth: 0, leakage: 0 });
    expect(g.evidence[0]).toMatch(/carry a TCGA barcode .*12 patient\(s\)/);
    expect(g.notes.join(' ')).toMatch(/groups in both sets: 0/);
    expect(g.perSet.train + g.perSet.val + g.perSet.test).toBe(12);
    const entry = r.report.files.find((f) => f.status === 'ok' && f.role === 'image');
    expect(entry).toMatchObject({ group: expect.stringMatching(/^TCGA-/) });
    expectNoGroupInTwoSets(r, groupOf, 20);
  });

  it('a groups CSV for arbitrary names: the same, matched by path; the CSV in the folder is found automatically', async () => {
    const { files, groupOf } = groupedTiles('cases', CLASSES, { patients: 6, min: 2, max: 6, named: false, seed: 9 });
    const text = groupsCsv(groupOf, 'cases');
    const given = await importDataset(files, { inputSize: S, groups: { kind: 'csv', name: 'groups.csv', text } }, nodeDecoder);
    expect(given.blocking).toEqual([]);
    expect(given.report.groups).toMatchObject({ source: 'csv', csv: 'groups.csv', groups: 12, ungrouped: 0, unmatchedRows: 0 });
    expectNoGroupInTwoSets(given, groupOf, 20);
    const inFolder = await importDataset([...files, memFile('cases/patient_groups.csv', text)], { inputSize: S }, nodeDecoder);
    expect(inFolder.report.groups).toMatchObject({ source: 'csv', csv: 'cases/patient_groups.csv', groups: 12 });
    expect(inFolder.report.files.find((f) => f.path === 'cases/patient_groups.csv')).toMatchObject({ status: 'ok', role: 'annotation' });
    // Without groups the same names give none, and the split is by image.
    const plain = await importDataset(files, { inputSize: S }, nodeDecoder);
    expect(plain.report.groups).toMatchObject({ source: 'none', splitBy: 'image' });
    expect(plain.samples.groups).toBeUndefined();
  });

  it('bad input: rows naming no file and files without a group are reported, and the split says what it did', async () => {
    const { files, groupOf } = groupedTiles('cases', CLASSES, { patients: 4, min: 3, max: 3, named: false });
    const entries = [...groupOf];
    // Drop the groups of 3 images, add 2 rows for files that do not exist.
    const kept = new Map(entries.slice(3));
    const text = groupsCsv(kept, 'cases') + 'MSS/ghost_1.png,case-x\nMSS/ghost_2.png,case-x\n';
    const r = await importDataset(files, { inputSize: S, groups: { kind: 'csv', name: 'g.csv', text } }, nodeDecoder);
    expect(r.blocking).toEqual([]);
    const g = r.report.groups!;
    expect(g).toMatchObject({ unmatchedRows: 2, ungrouped: 3, grouped: entries.length - 3 });
    expect(g.unmatchedExamples[0]).toMatch(/ghost_1/);
    expect(g.notes.join(' ')).toMatch(/2 row\(s\) of g\.csv name no image/);
    expect(g.notes.join(' ')).toMatch(/3 of 24 usable image\(s\) have no group: each of them is split on its own/);
    expect(r.report.notes.join(' ')).toMatch(/name no image/);
  });

  it('one group holding every image, or a class in one group, is refused naming the class; split by image is allowed, with its leakage', async () => {
    const { files } = groupedTiles('cases', CLASSES, { patients: 3, min: 3, max: 3, named: false });
    const one = 'file,group\n' + files.map((f) => `${f.path},everyone`).join('\n');
    const r = await importDataset(files, { inputSize: S, groups: { kind: 'csv', name: 'one.csv', text: one } }, nodeDecoder);
    expect(r.blocking.map((b) => [b.code, b.subject])).toEqual([
      ['TOO_FEW_GROUPS', 'MSIMUT'],
      ['TOO_FEW_GROUPS', 'MSS'],
    ]);
    expect(r.blocking[0].message).toMatch(/9 image\(s\) in 1 group/);
    expect(r.report.groups!.notes.join(' ')).toMatch(/all 18 usable images are in one group \("everyone"\)/);
    // By explicit choice, images one by one: trainable, and the leakage is counted (every test image shares the group).
    const byImage = await importDataset(files, { inputSize: S, groups: { kind: 'csv', name: 'one.csv', text: one }, splitBy: 'image' }, nodeDecoder);
    expect(byImage.blocking).toEqual([]);
    expect(byImage.report.groups).toMatchObject({ splitBy: 'image', leakage: 1, groupsInBoth: 1 });
    expect(byImage.report.groups!.notes.join(' ')).toMatch(/100\.0 % of the test images share a group/);
    // MSS in one group, MSIMUT in three: only MSS is refused.
    const half = 'file,group\n' + files.map((f, i) => `${f.path},${f.path.includes('/MSS/') ? 'mss-all' : `m${i % 3}`}`).join('\n');
    const h = await importDataset(files, { inputSize: S, groups: { kind: 'csv', name: 'half.csv', text: half } }, nodeDecoder);
    expect(h.blocking.map((b) => [b.code, b.subject])).toEqual([['TOO_FEW_GROUPS', 'MSS']]);
  });

  it('a groups CSV that cannot be used blocks the import with GROUPS_INVALID, naming the file', async () => {
    const { files } = groupedTiles('cases', CLASSES, { patients: 2, min: 2, max: 2, named: false });
    const bad = await importDataset(files, { inputSize: S, groups: { kind: 'csv', name: 'bad.csv', text: 'a,b,c\n1,2,3\n' } }, nodeDecoder);
    expect(bad.blocking.map((b) => [b.code, b.subject])).toEqual([['GROUPS_INVALID', 'bad.csv']]);
    const none = await importDataset(files, { inputSize: S, groups: { kind: 'csv', name: 'none.csv', text: 'file,group\nother.png,g\n' } }, nodeDecoder);
    expect(none.blocking.map((b) => b.code)).toEqual(['GROUPS_INVALID']);
  });
});
