import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { nodeDecoder } from './decode-node';
import { orientBox } from './exif';
import { importDataset } from './importer';
import { CLASS_COLOURS, classFolderFiles, colourClass, polypPair, spyDecoder, tile } from './testing/datasets';
import { draw, encodeJpeg, encodePng, memFile, shuffled, withOrientation } from './testing/fixtures';
import { writeTiff } from './testing/tiffWriter';
import type { ImportResult, InputFile, ReportFile } from './types';

const S = 16;

function fileStatus(r: ImportResult, path: string): ReportFile {
  const f = r.report.files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} is not in the report`);
  return f;
}

function codes(r: ImportResult): string[] {
  return r.blocking.map((e) => e.code);
}

function expectBox(got: ArrayLike<number>, want: readonly number[], tol: number): void {
  want.forEach((v, i) => expect(Math.abs(got[i] - v), `box[${i}] ${got[i]} vs ${v}`).toBeLessThanOrEqual(tol));
}

const junk = (root: string): InputFile[] => [
  memFile(`${root}/README.md`, '# Data\n'),
  memFile(`${root}/LICENSE`, 'MIT'),
  memFile(`${root}/notes.txt`, 'notes'),
  memFile(`${root}/.DS_Store`, new Uint8Array([0, 0, 0, 1, 66, 117, 100, 49])),
  memFile(`${root}/MSS/Thumbs.db`, new Uint8Array([0xd0, 0xcf, 0x11, 0xe0])),
];

describe('importDataset: classification', () => {
  it('class folders: labels from folders, every format decoded, non-images listed and skipped; listing order does not matter', async () => {
    const files = [...classFolderFiles('TCGA', { MSS: 10, MSIMUT: 10 }), ...junk('TCGA')];
    const a = await importDataset(shuffled(files, 1), { inputSize: S, seed: 3 }, nodeDecoder);
    const b = await importDataset(shuffled(files, 2), { inputSize: S, seed: 3 }, nodeDecoder);
    expect(a.blocking).toEqual([]);
    expect([a.task, a.classNames, a.samples.count, a.split.train.count, a.split.test.count]).toEqual(['classify', ['MSIMUT', 'MSS'], 20, 16, 4]);
    for (let i = 0; i < a.samples.count; i++) {
      expect(colourClass(a.samples.images, i, S, a.classNames!)).toBe(a.classNames![a.samples.labels![i]]);
      expect(a.samples.ids![i]).toContain(`/${a.classNames![a.samples.labels![i]]}/`);
    }
    for (const p of ['TCGA/README.md', 'TCGA/LICENSE', 'TCGA/notes.txt', 'TCGA/.DS_Store', 'TCGA/MSS/Thumbs.db']) {
      expect(fileStatus(a, p).status).toBe('NOT_AN_IMAGE');
    }
    expect(fileStatus(a, 'TCGA/MSS/MSS_2.tif')).toMatchObject({ status: 'ok', class: 'MSS' });
    // Same seed, shuffled listing: the very same result.
    expect(Array.from(b.samples.images)).toEqual(Array.from(a.samples.images));
    expect(b.samples.ids).toEqual(a.samples.ids);
    expect(b.report).toEqual(a.report);
    // Stratified 80:20 and views of one buffer.
    expect(a.report.classes!.map((c) => [c.name, c.train, c.test])).toEqual([
      ['MSIMUT', 8, 2],
      ['MSS', 8, 2],
    ]);
    expect(a.split.train.images.buffer).toBe(a.samples.images.buffer);
    expect(JSON.parse(JSON.stringify(a.report))).toEqual(a.report);
  });

  it('split folders (train/test/val) are respected, nested one level under a top folder', async () => {
    const files = [
      ...classFolderFiles('kaggle/tcga_coad_msi_mss', { MSS: 6, MSIMUT: 6 }, S, 'train'),
      ...classFolderFiles('kaggle/tcga_coad_msi_mss', { MSS: 2, MSIMUT: 3 }, S, 'test'),
      ...classFolderFiles('kaggle/tcga_coad_msi_mss', { MSS: 2, MSIMUT: 2 }, S, 'val'),
    ];
    const r = await importDataset(shuffled(files), { inputSize: S }, nodeDecoder);
    expect(r.layout).toEqual({ kind: 'class-folders', root: 'kaggle/tcga_coad_msi_mss', givenSplit: true });
    expect([r.split.train.count, r.split.val?.count, r.split.test.count, r.report.settings.split]).toEqual([12, 4, 5, 'folders']);
    expect(r.split.test.ids!.every((p) => p.includes('/test/'))).toBe(true);
    expect(r.split.val!.ids!.every((p) => p.includes('/val/'))).toBe(true);
    expect(r.blocking).toEqual([]);
  });

  it('set folders as downloaded: classes one level deeper, matched across sets without the set suffix (LC25000: dataset/ + forTEST/)', async () => {
    const renamed = (files: InputFile[], from: string, to: string) => files.map((f) => ({ ...f, path: f.path.replace(from, to) }));
    const files = [
      ...classFolderFiles('lc25000-colon', { MSS: 6, MSIMUT: 5 }, S, 'dataset'),
      ...renamed(renamed(classFolderFiles('lc25000-colon', { MSS: 2, MSIMUT: 2 }, S, 'forTEST'), '/MSS/', '/MSS_test/'), '/MSIMUT/', '/MSIMUT_test/'),
      memFile('lc25000-colon/forTEST/loose.png', encodePng(tile(S, CLASS_COLOURS.MSS, 99))),
      memFile('lc25000-colon/SOURCE.md', '# LC25000'),
    ];
    const r = await importDataset(shuffled(files), { inputSize: S }, nodeDecoder);
    expect(r.layout).toEqual({
      kind: 'class-sets',
      root: 'lc25000-colon',
      sets: [
        { folder: 'dataset', split: 'train' },
        { folder: 'forTEST', split: 'test' },
      ],
    });
    expect(r.blocking).toEqual([]);
    expect(r.classNames).toEqual(['MSIMUT', 'MSS']);
    expect(r.report.classes!.map((c) => [c.name, c.train, c.test])).toEqual([
      ['MSIMUT', 5, 2],
      ['MSS', 6, 2],
    ]);
    expect(r.report.settings.split).toBe('folders');
    expect(r.split.test.ids!.every((p) => p.includes('/forTEST/'))).toBe(true);
    // Labels follow the folders, whatever the set calls them.
    for (let i = 0; i < r.samples.count; i++) expect(colourClass(r.samples.images, i, S, r.classNames!)).toBe(r.classNames![r.samples.labels![i]]);
    expect(fileStatus(r, 'lc25000-colon/forTEST/MSS_test/MSS_0.jpg')).toMatchObject({ status: 'ok', class: 'MSS', split: 'test' });
    expect(fileStatus(r, 'lc25000-colon/forTEST/loose.png').status).toBe('OUTSIDE_LAYOUT');
    expect(r.report.evidence.join(' ')).toContain('"forTEST/MSIMUT_test" is MSIMUT');

    // The override: the sets pooled with a seeded split, or one set alone.
    const pooled = await importDataset(
      files,
      {
        inputSize: S,
        layout: {
          kind: 'class-sets',
          root: 'lc25000-colon',
          sets: [
            { folder: 'dataset', split: null },
            { folder: 'forTEST', split: null },
          ],
        },
      },
      nodeDecoder,
    );
    expect([pooled.report.settings.split, pooled.samples.count, pooled.classNames]).toEqual(['seeded', 15, ['MSIMUT', 'MSS']]);
    const alone = await importDataset(
      files,
      { inputSize: S, layout: { kind: 'class-sets', root: 'lc25000-colon', sets: [{ folder: 'dataset', split: null }] } },
      nodeDecoder,
    );
    expect([alone.samples.count, alone.report.byCode.OUTSIDE_LAYOUT]).toEqual([11, 5]);
  });

  it("Kather's cohorts: CRC_DX read, CRC_KR left out by name; Kaggle's repeated copy left out", async () => {
    const files = [
      ...classFolderFiles('MSI', { MSS: 4, MSIMUT: 4 }, S, 'CRC_DX_TRAIN'),
      ...classFolderFiles('MSI', { MSS: 2, MSIMUT: 2 }, S, 'CRC_DX_TEST'),
      ...classFolderFiles('MSI', { MSS: 3, MSIMUT: 3 }, S, 'CRC_KR_TRAIN'),
      ...classFolderFiles('MSI', { MSS: 1, MSIMUT: 1 }, S, 'CRC_KR_TEST'),
    ];
    const r = await importDataset(shuffled(files), { inputSize: S }, nodeDecoder);
    expect(r.layout).toMatchObject({ kind: 'class-sets', sets: [{ folder: 'CRC_DX_TRAIN' }, { folder: 'CRC_DX_TEST' }] });
    expect([r.split.train.count, r.split.test.count, r.report.byCode.OUTSIDE_LAYOUT]).toEqual([8, 4, 8]);
    expect(fileStatus(r, 'MSI/CRC_KR_TEST/MSS/MSS_0.jpg').status).toBe('OUTSIDE_LAYOUT');

    const tree = [...classFolderFiles('chest_xray', { MSS: 3, MSIMUT: 3 }, S, 'train'), ...classFolderFiles('chest_xray', { MSS: 2, MSIMUT: 2 }, S, 'test')];
    const copy = tree.map((f) => ({ ...f, path: f.path.replace('chest_xray/', 'chest_xray/chest_xray/') }));
    const k = await importDataset(shuffled([...tree, ...copy]), { inputSize: S }, nodeDecoder);
    expect(k.layout).toEqual({ kind: 'class-folders', root: 'chest_xray', givenSplit: true, exclude: ['chest_xray'] });
    expect([k.split.train.count, k.split.test.count, k.report.byCode.OUTSIDE_LAYOUT, k.blocking]).toEqual([6, 4, 10, []]);
  });

  it('file-name prefix (NCT-CRC-HE): CLASS-id.tif', async () => {
    const files: InputFile[] = [];
    let seed = 1;
    for (const c of ['TUM', 'NORM', 'ADI']) {
      for (let i = 0; i < 3; i++) {
        const img = tile(S, CLASS_COLOURS[c], seed++);
        const rgb = new Uint8Array(S * S * 3);
        for (let p = 0; p < S * S; p++) rgb.set(img.data.subarray(p * 4, p * 4 + 3), p * 3);
        files.push(memFile(`NCT-CRC-HE/${c}-AAB${i}XYZ.tif`, writeTiff({ width: S, height: S, channels: 3, bits: 8, data: rgb, compression: 'packbits' })));
      }
    }
    const r = await importDataset(shuffled([...files, memFile('NCT-CRC-HE/SOURCE.md', 'x')]), { inputSize: S }, nodeDecoder);
    expect([r.layout?.kind, r.classNames, r.samples.count, r.blocking]).toEqual(['class-prefix', ['ADI', 'NORM', 'TUM'], 9, []]);
    for (let i = 0; i < 9; i++) expect(colourClass(r.samples.images, i, S, r.classNames!)).toBe(r.classNames![r.samples.labels![i]]);
  });

  it('seeded stratified subset: balance kept, reproducible, unchosen files never read, skipped files replaced from the pool', async () => {
    const files = classFolderFiles('big', { MSS: 30, MSIMUT: 20, NORM: 10 }, 12);
    // Break a third of MSS: the subset must still hold 6 MSS images.
    const broken = files.filter((f) => f.path.includes('/MSS/')).slice(0, 10);
    const all = files.map((f) => (broken.includes(f) ? memFile(f.path, new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16])) : f));
    const r1 = await importDataset(shuffled(all), { inputSize: 12, subset: 12, seed: 5 }, nodeDecoder);
    const reads = new Map(all.map((f) => [f.path, f.reads]));
    const r2 = await importDataset(shuffled(all, 7), { inputSize: 12, subset: 12, seed: 5 }, nodeDecoder);
    const r3 = await importDataset(all, { inputSize: 12, subset: 12, seed: 6 }, nodeDecoder);
    expect(r1.report.classes!.map((c) => [c.name, c.count])).toEqual([
      ['MSIMUT', 4],
      ['MSS', 6],
      ['NORM', 2],
    ]);
    expect(r2.samples.ids).toEqual(r1.samples.ids);
    expect(r3.samples.ids).not.toEqual(r1.samples.ids);
    const unused = r1.report.files.filter((f) => f.status === 'unused').map((f) => f.path);
    const failed = r1.report.files.filter((f) => f.status === 'DECODE_FAILED').length;
    expect(unused.length + failed + 12).toBe(60);
    for (const p of unused) expect(reads.get(p), p).toBe(0);
    expect(r1.report.counts.unused).toBe(unused.length);
    expect(r1.blocking).toEqual([]);
  });
});

describe('importDataset: detection', () => {
  it('Kvasir-SEG: pairs by stem in a shuffled listing; JSON boxes where given (3 boxes -> union), mask boxes elsewhere', async () => {
    const W = 60,
      H = 40;
    const rects: Record<string, { x0: number; y0: number; x1: number; y1: number }[]> = {
      aaa: [{ x0: 5, y0: 5, x1: 25, y1: 20 }],
      bbb: [{ x0: 30, y0: 10, x1: 50, y1: 30 }],
      ccc: [
        { x0: 2, y0: 2, x1: 14, y1: 12 },
        { x0: 40, y0: 25, x1: 58, y1: 38 },
      ],
      ddd: [{ x0: 10, y0: 10, x1: 30, y1: 30 }],
    };
    const files: InputFile[] = [];
    for (const [stem, rs] of Object.entries(rects)) {
      const p = polypPair(W, H, rs, 'jpeg');
      files.push(memFile(`Kvasir-SEG/images/${stem}.jpg`, p.image), memFile(`Kvasir-SEG/masks/${stem}.jpg`, p.mask));
    }
    const json = {
      ddd: {
        height: H,
        width: W,
        bbox: [
          { label: 'polyp', xmin: 10, ymin: 10, xmax: 20, ymax: 20 },
          { label: 'polyp', xmin: 22, ymin: 12, xmax: 30, ymax: 30 },
          { label: 'polyp', xmin: 12, ymin: 25, xmax: 14, ymax: 31 },
        ],
      },
    };
    files.push(memFile('Kvasir-SEG/kavsir_bboxes.json', JSON.stringify(json)), memFile('Kvasir-SEG/README.md', 'x'));
    const r = await importDataset(shuffled(files, 4), { inputSize: 32, seed: 1 }, nodeDecoder);
    expect([r.task, r.samples.count, r.blocking]).toEqual(['box', 4, []]);
    expect(r.report.counts.mergedBoxImages).toBe(2);
    const box = (stem: string) => {
      const i = r.samples.ids!.indexOf(`Kvasir-SEG/images/${stem}.jpg`);
      return r.samples.boxes!.subarray(i * 4, i * 4 + 4);
    };
    expectBox(box('aaa'), [15 / W, 12.5 / H, 20 / W, 15 / H], 1.5 / H);
    expectBox(box('ccc'), [30 / W, 20 / H, 56 / W, 36 / H], 1.5 / H);
    expectBox(box('ddd'), [20 / W, 20.5 / H, 20 / W, 21 / H], 1e-6);
    expect(fileStatus(r, 'Kvasir-SEG/images/ddd.jpg')).toMatchObject({ status: 'ok', merged: 3 });
    expect(fileStatus(r, 'Kvasir-SEG/images/ccc.jpg')).toMatchObject({ status: 'ok', merged: 2 });
    expect(fileStatus(r, 'Kvasir-SEG/kavsir_bboxes.json')).toEqual({ path: 'Kvasir-SEG/kavsir_bboxes.json', status: 'ok', role: 'annotation' });
    expect(fileStatus(r, 'Kvasir-SEG/masks/aaa.jpg')).toMatchObject({ status: 'ok', role: 'mask', image: 'Kvasir-SEG/images/aaa.jpg' });
    expect(fileStatus(r, 'Kvasir-SEG/README.md').status).toBe('NOT_AN_IMAGE');
    expect([r.split.train.count, r.split.test.count]).toEqual([3, 1]);
  });

  it('CVC-ClinicDB: Original/ + Ground Truth/ TIFFs with the same names, and images/*_fram.jpg + masks/*_mask.jpg', async () => {
    const W = 48,
      H = 36;
    const rect = { x0: 8, y0: 6, x1: 28, y1: 30 };
    const tiffFiles: InputFile[] = [];
    const framFiles: InputFile[] = [];
    for (let i = 1; i <= 4; i++) {
      const img = draw(W, H, (x, y) => (x >= rect.x0 + i && x < rect.x1 + i && y >= rect.y0 && y < rect.y1 ? [230, 40, 40] : [90, 140, 70]));
      const rgb = new Uint8Array(W * H * 3);
      const grey = new Uint8Array(W * H);
      for (let p = 0; p < W * H; p++) {
        rgb.set(img.data.subarray(p * 4, p * 4 + 3), p * 3);
        grey[p] = img.data[p * 4 + 1] === 40 ? 255 : 0;
      }
      tiffFiles.push(
        memFile(`CVC-ClinicDB/Original/${i}.tif`, writeTiff({ width: W, height: H, channels: 3, bits: 8, data: rgb, compression: 'lzw' })),
        memFile(`CVC-ClinicDB/Ground Truth/${i}.tif`, writeTiff({ width: W, height: H, channels: 1, bits: 8, data: grey, compression: 'deflate' })),
      );
      const p = polypPair(W, H, [{ ...rect, x0: rect.x0 + i, x1: rect.x1 + i }], 'jpeg', i);
      framFiles.push(memFile(`CVC-612/images/fine_3_${i}_fram.jpg`, p.image), memFile(`CVC-612/masks/fine_3_${i}_mask.jpg`, p.mask));
    }
    const t = await importDataset(shuffled(tiffFiles), { inputSize: 24 }, nodeDecoder);
    expect(t.layout).toMatchObject({ kind: 'mask-pairs', variant: 'cvc-clinicdb' });
    expect([t.samples.count, t.blocking]).toEqual([4, []]);
    const i3 = t.samples.ids!.indexOf('CVC-ClinicDB/Original/3.tif');
    expectBox(t.samples.boxes!.subarray(i3 * 4, i3 * 4 + 4), [(11 + 31) / 2 / W, 18 / H, 20 / W, 24 / H], 1e-6);
    const f = await importDataset(shuffled(framFiles), { inputSize: 24 }, nodeDecoder);
    expect(f.layout).toMatchObject({ kind: 'mask-pairs', imageSuffix: '_fram', maskSuffix: '_mask' });
    const j3 = f.samples.ids!.indexOf('CVC-612/images/fine_3_3_fram.jpg');
    expectBox(f.samples.boxes!.subarray(j3 * 4, j3 * 4 + 4), [(11 + 31) / 2 / W, 18 / H, 20 / W, 24 / H], 1.5 / H);
  });

  it('box list (CSV): several rows for one file -> their union; a file without rows -> BOX_MISSING', async () => {
    const W = 50,
      H = 50;
    const img = encodeJpeg(draw(W, H, () => [100, 100, 100]));
    const csv = 'filename,xmin,ymin,xmax,ymax\n1.jpg,5,5,15,15\n1.jpg,30,30,45,40\n2.jpg,0,0,50,25\nghost.jpg,1,1,2,2\n';
    const files = [memFile('polyps/boxes.csv', csv), memFile('polyps/1.jpg', img), memFile('polyps/2.jpg', img), memFile('polyps/3.jpg', img)];
    const r = await importDataset(shuffled(files), { inputSize: 20 }, nodeDecoder);
    expect(r.layout).toEqual({ kind: 'box-list', list: 'polyps/boxes.csv', root: 'polyps' });
    expect(r.samples.count).toBe(2);
    const i1 = r.samples.ids!.indexOf('polyps/1.jpg');
    expectBox(r.samples.boxes!.subarray(i1 * 4, i1 * 4 + 4), [25 / W, 22.5 / H, 40 / W, 35 / H], 1e-6);
    expect(fileStatus(r, 'polyps/3.jpg').status).toBe('BOX_MISSING');
    expect(r.report.notes.join(' ')).toMatch(/ghost\.jpg/);
    expect(r.report.counts.mergedBoxImages).toBe(1);
    // The same boxes as a JSON list.
    const json = JSON.stringify([
      { filename: '1.jpg', xmin: 5, ymin: 5, xmax: 15, ymax: 15 },
      { filename: '1.jpg', xmin: 30, ymin: 30, xmax: 45, ymax: 40 },
      { filename: '2.jpg', xmin: 0, ymin: 0, xmax: 50, ymax: 25 },
    ]);
    const j = await importDataset(shuffled([memFile('polyps/annotations.json', json), ...files.slice(1)]), { inputSize: 20 }, nodeDecoder);
    expect(j.layout).toEqual({ kind: 'box-list', list: 'polyps/annotations.json', root: 'polyps' });
    expect(Array.from(j.samples.boxes!)).toEqual(Array.from(r.samples.boxes!));
    // Pad: the 50 x 50 box list image needs no pad; a wide image does, and its box moves with it.
    const wide = encodeJpeg(draw(80, 40, () => [100, 100, 100]));
    const p = await importDataset(
      [memFile('w/b.csv', 'a.jpg,0,0,80,40\nb.jpg,0,0,40,40\n'), memFile('w/a.jpg', wide), memFile('w/b.jpg', wide)],
      { inputSize: 20, resize: 'pad' },
      nodeDecoder,
    );
    const ia = p.samples.ids!.indexOf('w/a.jpg');
    expectBox(p.samples.boxes!.subarray(ia * 4, ia * 4 + 4), [0.5, 0.5, 1, 0.5], 1e-6);
  });

  it('EXIF orientation is applied identically to an image and its mask (mask tagged, untagged, or drawn turned)', async () => {
    // Stored 40 x 24; orientation 6 shows it turned 90 degrees clockwise (24 x 40).
    const W = 40,
      H = 24;
    const rect = { x0: 4, y0: 2, x1: 16, y1: 10 };
    const p = polypPair(W, H, [rect], 'jpeg');
    const stored: [number, number, number, number] = [10 / W, 6 / H, 12 / W, 8 / H];
    const want = orientBox(stored, 6);
    const inside = (x: number, y: number) => x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1;
    // Mask drawn on the turned image: pixel (x', y') of the turned image is stored pixel (y', H-1-x').
    const turnedMask = draw(H, W, (x, y) => (inside(y, H - 1 - x) ? [255, 255, 255] : [0, 0, 0]));
    const variants: [string, Uint8Array][] = [
      ['tagged', withOrientation(p.mask, 6)],
      ['untagged', p.mask],
      ['turned', encodePng(turnedMask)],
    ];
    for (const [name, mask] of variants) {
      const files = [
        memFile('k/images/a.jpg', withOrientation(p.image, 6)),
        memFile(`k/masks/a.${name === 'turned' ? 'png' : 'jpg'}`, mask),
        memFile('k/images/b.jpg', p.image),
        memFile('k/masks/b.jpg', p.mask),
      ];
      const r = await importDataset(files, { inputSize: 32 }, nodeDecoder);
      expect(r.blocking, name).toEqual([]);
      const i = r.samples.ids!.indexOf('k/images/a.jpg');
      expectBox(r.samples.boxes!.subarray(i * 4, i * 4 + 4), want, 1.5 / H);
      // The red polyp in the imported pixels lies where the box says.
      let x0 = 32,
        y0 = 32,
        x1 = 0,
        y1 = 0;
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const q = (i * 32 * 32 + y * 32 + x) * 3;
          if (r.samples.images[q] > 180 && r.samples.images[q + 1] < 110) {
            x0 = Math.min(x0, x);
            y0 = Math.min(y0, y);
            x1 = Math.max(x1, x + 1);
            y1 = Math.max(y1, y + 1);
          }
        }
      }
      expectBox([(x0 + x1) / 64, (y0 + y1) / 64, (x1 - x0) / 32, (y1 - y0) / 32], want, 2.5 / 32);
      const j = r.samples.ids!.indexOf('k/images/b.jpg');
      expectBox(r.samples.boxes!.subarray(j * 4, j * 4 + 4), stored, 1.5 / H);
    }
  });
});

describe('importDataset: bad input is reported, not thrown', () => {
  it('every skip and warning code, with the import going on', async () => {
    const W = 40,
      H = 30;
    const good = polypPair(W, H, [{ x0: 5, y0: 5, x1: 20, y1: 20 }]);
    const jpeg = good.image;
    const png16 = encode({ width: W, height: H, data: Uint16Array.from({ length: W * H * 3 }, (_, i) => (i * 997) % 65536), channels: 3, depth: 16 });
    const huge = encodePng(draw(4, 4, () => [1, 2, 3])).slice();
    new DataView(huge.buffer).setUint32(16, 50_000);
    new DataView(huge.buffer).setUint32(20, 50_000);
    const tiff = writeTiff({ width: W, height: H, channels: 3, bits: 8, data: new Uint8Array(W * H * 3), compression: 'none' });
    const twoPx = polypPair(W, H + 1, [{ x0: 5, y0: 5, x1: 20, y1: 20 }]);
    const emptyMask = polypPair(W, H, []);
    const files: InputFile[] = [
      memFile('d/images/ok.jpg', jpeg),
      memFile('d/masks/ok.png', good.mask),
      memFile('d/images/empty.jpg', new Uint8Array(0)),
      memFile('d/masks/empty.png', good.mask),
      memFile('d/images/text.jpg', 'this is not a jpeg'),
      memFile('d/masks/text.png', good.mask),
      memFile('d/images/cut.jpg', jpeg.subarray(0, jpeg.length >> 1)),
      memFile('d/masks/cut.png', good.mask),
      memFile('d/images/cuttiff.tif', tiff.subarray(0, 200)),
      memFile('d/masks/cuttiff.png', good.mask),
      memFile('d/images/misnamed.png', jpeg),
      memFile('d/masks/misnamed.png', good.mask),
      memFile('d/images/deep.png', png16),
      memFile('d/masks/deep.png', good.mask),
      memFile('d/images/huge.png', huge),
      memFile('d/masks/huge.png', good.mask),
      memFile('d/images/nomask.jpg', jpeg),
      memFile('d/masks/orphan.png', good.mask),
      memFile('d/images/twin.jpg', jpeg),
      memFile('d/images/twin.png', encodePng(draw(W, H, () => [1, 2, 3]))),
      memFile('d/masks/twin.png', good.mask),
      memFile('d/images/size.jpg', jpeg),
      memFile('d/masks/size.png', twoPx.mask),
      memFile('d/images/nopolyp.jpg', emptyMask.image),
      memFile('d/masks/nopolyp.png', emptyMask.mask),
      memFile(
        'd/images/web.webp',
        new Uint8Array(
          [...'RIFF']
            .map((c) => c.charCodeAt(0))
            .concat(
              [30, 0, 0, 0],
              [...'WEBPVP8L'].map((c) => c.charCodeAt(0)),
              [10, 0, 0, 0, 0x2f, 9, 0, 0, 0],
              new Array(18).fill(0),
            ),
        ),
      ),
      memFile('d/masks/web.png', good.mask),
    ];
    const decoder = spyDecoder();
    const r = await importDataset(shuffled(files), { inputSize: 16 }, decoder);
    const status = (p: string) => fileStatus(r, p).status;
    expect(status('d/images/ok.jpg')).toBe('ok');
    expect(status('d/images/empty.jpg')).toBe('EMPTY_FILE');
    expect(status('d/images/text.jpg')).toBe('NOT_AN_IMAGE');
    expect(status('d/images/cut.jpg')).toBe('DECODE_FAILED');
    expect(status('d/images/cuttiff.tif')).toBe('DECODE_FAILED');
    expect(fileStatus(r, 'd/images/misnamed.png')).toMatchObject({ status: 'ok', warnings: [{ code: 'EXTENSION_MISMATCH' }] });
    expect(fileStatus(r, 'd/images/deep.png')).toMatchObject({ status: 'ok', warnings: [{ code: 'REDUCED_16_TO_8' }] });
    expect(status('d/images/huge.png')).toBe('TOO_LARGE');
    expect(status('d/images/nomask.jpg')).toBe('MASK_MISSING');
    expect(status('d/masks/orphan.png')).toBe('MASK_WITHOUT_IMAGE');
    expect(status('d/images/twin.jpg')).toBe('ok');
    expect(status('d/images/twin.png')).toBe('DUPLICATE_STEM');
    expect(status('d/images/size.jpg')).toBe('SIZE_MISMATCH');
    expect(status('d/masks/size.png')).toBe('SIZE_MISMATCH');
    expect(status('d/images/nopolyp.jpg')).toBe('EMPTY_MASK');
    expect(status('d/images/web.webp')).toBe('UNSUPPORTED_FORMAT');
    expect(status('d/masks/empty.png')).toBe('MASK_WITHOUT_IMAGE');
    for (const f of r.report.files) if (f.status !== 'ok' && f.status !== 'unused') expect(typeof f.message).toBe('string');
    expect(r.samples.count).toBe(4);
    expect(r.blocking).toEqual([]);
    expect(r.report.byCode).toMatchObject({ EXTENSION_MISMATCH: 1, REDUCED_16_TO_8: 1, TOO_LARGE: 1 });
    // Refused from the header: the huge PNG never reached the decoder. The PNGs that did: the 16-bit
    // image and the masks of the 6 images that decoded (ok, misnamed, deep, twin, size, nopolyp).
    expect(decoder.calls.filter((c) => c === 'png').length).toBe(7);
  });

  it('a set too large for memory blocks before anything is read (TOO_MANY_IMAGES), suggesting a subset', async () => {
    const files = classFolderFiles('m', { MSS: 6, MSIMUT: 6 }, 8);
    const r = await importDataset(files, { inputSize: 16, maxBytes: 16 * 16 * 3 * 10 }, nodeDecoder);
    expect(r.blocking.map((e) => e.code)).toEqual(['TOO_MANY_IMAGES']);
    expect(r.blocking[0].message).toMatch(/at most 10 images/);
    expect(files.every((f) => f.reads === 0)).toBe(true);
    const ok = await importDataset(files, { inputSize: 16, maxBytes: 16 * 16 * 3 * 10, subset: 10 }, nodeDecoder);
    expect([ok.blocking, ok.samples.count]).toEqual([[], 10]);
  });

  it('the pixel limit is configurable', async () => {
    const files = classFolderFiles('c', { MSS: 3, MSIMUT: 3 }, 20);
    const r = await importDataset(files, { inputSize: 8, maxPixels: 300 }, nodeDecoder);
    expect(r.report.byCode.TOO_LARGE).toBe(6);
    expect(codes(r)).toContain('NO_IMAGES');
  });
});

describe('importDataset: blocking problems name their class or folder', () => {
  it('EMPTY_CLASS, CLASS_TOO_SMALL, TOO_FEW_CLASSES, NO_IMAGES, LAYOUT_UNKNOWN', async () => {
    const base = classFolderFiles('set', { MSS: 4, MSIMUT: 1 }, S);
    const broken = [memFile('set/NORM/a.jpg', new Uint8Array(0)), memFile('set/NORM/b.png', encodePng(draw(4, 4, () => [0, 0, 0])).subarray(0, 40))];
    const r = await importDataset([...base, ...broken], { inputSize: S }, nodeDecoder);
    const byCode = Object.fromEntries(r.blocking.map((e) => [e.code, e.subject]));
    expect(byCode).toEqual({ EMPTY_CLASS: 'NORM', CLASS_TOO_SMALL: 'MSIMUT' });
    expect(r.report.blocking.map((b) => b.code).sort()).toEqual(['CLASS_TOO_SMALL', 'EMPTY_CLASS']);

    const one = await importDataset(classFolderFiles('one', { MSS: 4 }, S, 'x'), { inputSize: S }, nodeDecoder);
    expect(codes(one)).toContain('TOO_FEW_CLASSES');

    const none = await importDataset([memFile('z/A/1.jpg', 'junk'), memFile('z/B/2.jpg', new Uint8Array(0))], { inputSize: S }, nodeDecoder);
    expect(codes(none)).toContain('NO_IMAGES');

    const flat = await importDataset(
      [memFile('flat/1.jpg', encodeJpeg(draw(4, 4, () => [1, 1, 1]))), memFile('flat/2.jpg', 'x')],
      { inputSize: S },
      nodeDecoder,
    );
    expect(flat.blocking.map((e) => [e.code, e.subject])).toEqual([['LAYOUT_UNKNOWN', 'flat']]);
    expect(flat.report.files.length).toBe(2);

    const nothing = await importDataset([memFile('docs/README.md', 'x')], { inputSize: S }, nodeDecoder);
    expect(codes(nothing)).toEqual(['LAYOUT_UNKNOWN']);
  });

  it('given split folders: a class missing from test is CLASS_TOO_SMALL', async () => {
    const files = [...classFolderFiles('s', { MSS: 3, MSIMUT: 3 }, S, 'train'), ...classFolderFiles('s', { MSS: 2 }, S, 'test')];
    const r = await importDataset(files, { inputSize: S }, nodeDecoder);
    expect(r.blocking.map((e) => [e.code, e.subject])).toEqual([['CLASS_TOO_SMALL', 'MSIMUT']]);
  });

  it('a layout override is used as given', async () => {
    const files = classFolderFiles('ds', { MSS: 3, MSIMUT: 3 }, S);
    const r = await importDataset(files, { inputSize: S, layout: { kind: 'class-prefix', root: 'ds' } }, nodeDecoder);
    expect([r.report.layoutSource, r.layout?.kind]).toEqual(['chosen', 'class-prefix']);
    expect(r.report.byCode.OUTSIDE_LAYOUT).toBe(6);
  });
});

describe('importDataset: progress and cancellation', () => {
  it('reports progress per phase and stops with CANCELLED between files', async () => {
    const files = classFolderFiles('p', { MSS: 8, MSIMUT: 8 }, S);
    const phases: string[] = [];
    const r = await importDataset(files, { inputSize: S, concurrency: 2, onProgress: (p) => phases.push(`${p.phase}:${p.done}/${p.total}`) }, nodeDecoder);
    expect(r.samples.count).toBe(16);
    expect(phases[0]).toBe('listing:0/16');
    expect(phases.at(-1)).toBe('decoding:16/16');

    const ac = new AbortController();
    const e = await importDataset(
      files,
      { inputSize: S, concurrency: 1, signal: ac.signal, onProgress: (p) => p.phase === 'decoding' && p.done === 3 && ac.abort() },
      nodeDecoder,
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'DataError', code: 'CANCELLED' });
    expect(files.reduce((a, f) => a + f.reads, 0)).toBe(16 + 3);
  });

  it('invalid options are a programming error (RangeError), not data', async () => {
    await expect(importDataset([], { inputSize: 0 }, nodeDecoder)).rejects.toThrow(RangeError);
    await expect(importDataset([], { inputSize: 8, testShare: 1 }, nodeDecoder)).rejects.toThrow(RangeError);
  });
});
