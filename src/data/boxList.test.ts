import { describe, expect, it } from 'vitest';
import { parseBoxList } from './boxList';
import { isDataError } from '../core/errors';

describe('parseBoxList', () => {
  it('CSV with and without a header; several rows for one file are kept for the union', () => {
    const withHeader = parseBoxList('image_id,xmin,ymin,xmax,ymax\na.png,1,2,10,20\na.png,5,5,30,8\n"b c.png",0,0,4,4\n', 'boxes.csv');
    expect(withHeader.entries.get('a.png')!.boxes).toEqual([
      { x0: 1, y0: 2, x1: 10, y1: 20 },
      { x0: 5, y0: 5, x1: 30, y1: 8 },
    ]);
    expect(withHeader.entries.get('b c.png')!.boxes.length).toBe(1);
    const bare = parseBoxList('a.png;1;2;10;20\r\nb.png;3;3;9;9\r\n', 'boxes.csv');
    expect([...bare.entries.keys()]).toEqual(['a.png', 'b.png']);
    const reordered = parseBoxList('xmax,ymax,filename,xmin,ymin,label\n10,20,a.png,1,2,polyp\n', 'x.csv');
    expect(reordered.entries.get('a.png')!.boxes[0]).toEqual({ x0: 1, y0: 2, x1: 10, y1: 20 });
  });

  it("JSON: record arrays, and Kvasir's kavsir_bboxes.json with 3 boxes for one image", () => {
    const arr = parseBoxList(
      JSON.stringify([
        { filename: 'a.jpg', xmin: 1, ymin: 1, xmax: 3, ymax: 4 },
        { file: 'a.jpg', bbox: [5, 5, 9, 9] },
      ]),
      'l.json',
    );
    expect(arr.entries.get('a.jpg')!.boxes.length).toBe(2);
    const kvasir = parseBoxList(
      JSON.stringify({
        cju0roawvklrq0799vmjorwfv: {
          height: 528,
          width: 622,
          bbox: [
            { label: 'polyp', xmin: 486, ymin: 42, xmax: 622, ymax: 339 },
            { label: 'polyp', xmin: 329, ymin: 71, xmax: 437, ymax: 150 },
            { label: 'polyp', xmin: 619, ymin: 151, xmax: 622, ymax: 285 },
          ],
        },
      }),
      'kavsir_bboxes.json',
    );
    const e = kvasir.entries.get('cju0roawvklrq0799vmjorwfv')!;
    expect([e.boxes.length, e.width, e.height]).toEqual([3, 622, 528]);
  });

  it('bad rows become notes; a file that is no box list is LAYOUT_UNKNOWN', () => {
    const r = parseBoxList('filename,xmin,ymin,xmax,ymax\na.png,10,10,5,20\nb.png,x,1,2,3\n', 'b.csv');
    expect(r.notes.length).toBe(2);
    for (const text of ['patient,age,sex\n1,50,F\n', '{not json', '{"a": {"age": 3}}', '']) {
      let err: unknown;
      try {
        parseBoxList(text, 'meta.csv');
      } catch (e) {
        err = e;
      }
      expect(isDataError(err) && err.code, text).toBe('LAYOUT_UNKNOWN');
    }
  });
});
