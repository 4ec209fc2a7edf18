/**
 * Draws the studio's app icons (public/icons/icon-192.png, icon-512.png): the favicon's teacher and
 * two students on a light square, inside the centre 60 % so the same image serves as a maskable
 * icon. Run once with `npx tsx scripts/make-icons.ts`; the PNGs are committed.
 */
import { writeFileSync } from 'node:fs';
import { encode } from 'fast-png';

const circles = [
  { cx: 16, cy: 10, r: 6, rgb: [0x5b, 0x4b, 0xd6] },
  { cx: 8, cy: 23, r: 5, rgb: [0x2a, 0x9d, 0x8f] },
  { cx: 24, cy: 23, r: 5, rgb: [0xe7, 0x6f, 0x51] },
];

function icon(size: number): Uint8Array {
  const data = new Uint8Array(size * size * 4);
  const scale = (size * 0.6) / 32;
  const offset = size * 0.2;
  const ss = 4; // 4 x 4 samples per pixel: smooth edges
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let [r, g, b] = [0, 0, 0];
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const u = (x + (sx + 0.5) / ss - offset) / scale;
          const v = (y + (sy + 0.5) / ss - offset) / scale;
          const hit = circles.find((c) => (u - c.cx) ** 2 + (v - c.cy) ** 2 <= c.r ** 2);
          const rgb = hit ? hit.rgb : [0xf6, 0xf6, 0xf9];
          r += rgb[0];
          g += rgb[1];
          b += rgb[2];
        }
      }
      const i = (y * size + x) * 4;
      data.set([r / (ss * ss), g / (ss * ss), b / (ss * ss), 255], i);
    }
  }
  return encode({ width: size, height: size, data, channels: 4, depth: 8 });
}

for (const size of [192, 512]) writeFileSync(`public/icons/icon-${size}.png`, icon(size));
