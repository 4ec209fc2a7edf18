import { describe, expect, it } from 'vitest';
import { findGroups, matchGroups, parseGroupsCsv, tcgaPatient } from './groups';

describe('groups from names and CSVs', () => {
  it('a TCGA barcode in the name gives the patient', () => {
    expect(tcgaPatient('MSIMUT/blk-AACEIDCGKIES-TCGA-AG-3881-01Z-00-DX1.png')).toBe('TCGA-AG-3881');
    expect(tcgaPatient('TCGA-a6-2674/tile_3.png')).toBe('TCGA-A6-2674');
    expect(tcgaPatient('MSS/tile_3.png')).toBeNull();
  });

  it('reads file,group CSVs under the names real sets use, and refuses one without such columns', () => {
    expect(parseGroupsCsv('file,group\na.png,p1\nb.png,p2\n', 'g.csv').rows).toEqual([
      { line: 2, file: 'a.png', group: 'p1' },
      { line: 3, file: 'b.png', group: 'p2' },
    ]);
    // CVC-ClinicDB's frame -> sequence table; LC25000's file,label,source_group.
    expect(parseGroupsCsv('frame,sequence\n1,1\n2,1\n', 'seq.csv').rows[1]).toEqual({ line: 3, file: '2', group: '1' });
    const lc = parseGroupsCsv('file,label,source_group\ndataset/a/x1.jpeg,a,a:21\n', 's.csv');
    expect(lc).toMatchObject({ groupColumn: 'source_group', rows: [{ file: 'dataset/a/x1.jpeg', group: 'a:21' }] });
    // Two columns without a header: file, group.
    expect(parseGroupsCsv('x1.png;p1\nx2.png;p2', 'plain.csv').rows).toHaveLength(2);
    // A row without a group is noted, not used.
    expect(parseGroupsCsv('file,patient\na.png,\nb.png,p\n', 'g.csv')).toMatchObject({ rows: [{ file: 'b.png' }], notes: [expect.stringContaining('line 2')] });
    expect(() => parseGroupsCsv('x,y,z\n1,2,3\n', 'bad.csv')).toThrow(expect.objectContaining({ code: 'GROUPS_INVALID', subject: 'bad.csv' }));
    expect(() => parseGroupsCsv('\n\n', 'empty.csv')).toThrow(expect.objectContaining({ code: 'GROUPS_INVALID' }));
    // Found automatically, a file must name its group column.
    expect(() => parseGroupsCsv('a.png,p1\n', 'list.csv', true)).toThrow(expect.objectContaining({ code: 'GROUPS_INVALID' }));
  });

  it('matches rows by path relative to the CSV, by path suffix, then by stem; reports what it could not match', () => {
    const images = ['lc/dataset/aca/c1.jpeg', 'lc/dataset/aca/c2.jpeg', 'lc/dataset/n/n1.jpeg', 'cvc/Original/1.png', 'x/a/dup.png', 'x/b/dup.png'];
    const rows = [
      { line: 2, file: 'dataset/aca/c1.jpeg', group: 'g1' },
      { line: 3, file: 'aca/c2.jpeg', group: 'g1' },
      { line: 4, file: 'n1', group: 'g2' },
      { line: 5, file: '1', group: 's1' },
      { line: 6, file: 'gone.jpeg', group: 'g9' },
      { line: 7, file: 'dup.png', group: 'g3' },
    ];
    const m = matchGroups(images, rows, 'lc/groups.csv');
    expect(m.groups).toEqual(['g1', 'g1', 'g2', 's1', '', '']);
    expect(m.unmatched.map((r) => r.line)).toEqual([6]);
    expect(m.ambiguous.map((r) => r.line)).toEqual([7]);
  });

  it('auto: a groups CSV in the folder, else TCGA barcodes (when most names carry one), else none; a CSV that names no image is refused', () => {
    const images = ['set/a/TCGA-AA-0001-x.png', 'set/a/TCGA-AA-0002-y.png', 'set/b/z.png'];
    const tcga = findGroups(images, { kind: 'auto' });
    expect(tcga).toMatchObject({ source: 'tcga', groups: ['TCGA-AA-0001', 'TCGA-AA-0002', ''] });
    expect(tcga.evidence[0]).toMatch(/2 of 3 file name\(s\) carry a TCGA barcode/);
    const csv = findGroups(images, { kind: 'auto' }, [{ path: 'set/patient_groups.csv', text: 'file,patient\na/TCGA-AA-0001-x.png,P1\nb/z.png,P1\n' }]);
    expect(csv).toMatchObject({ source: 'csv', csv: 'set/patient_groups.csv', groups: ['P1', '', 'P1'] });
    expect(findGroups(['s/a/1.png', 's/b/2.png'], { kind: 'auto' }).source).toBe('none');
    expect(findGroups(images, { kind: 'none' }).groups).toEqual(['', '', '']);
    expect(() => findGroups(images, { kind: 'csv', name: 'mine.csv', text: 'file,group\nnothing.png,g\n' })).toThrow(
      expect.objectContaining({ code: 'GROUPS_INVALID', subject: 'mine.csv' }),
    );
  });
});
