/**
 * Import throughput: list, sniff, decode (pure-JS decoders, as the command line uses), orient,
 * resize and store N generated images, as `importDataset` does for a dropped folder. Reports
 * images/s for JPEG and PNG at a given source size. Run: `npm run bench:import -- [--count 400] [--size 448] [--input 224]`.
 */
import { importDataset } from '../src/data/importer';
import { nodeDecoder } from '../src/data/decode-node';
import { draw, encodeJpeg, encodePng, memFile } from '../src/data/testing/fixtures';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const count = arg('count', 400);
const size = arg('size', 448);
const input = arg('input', 224);

async function measure(format: 'jpeg' | 'png'): Promise<{ format: string; images: number; seconds: number; imagesPerSec: number }> {
  const files = [];
  for (let i = 0; i < count; i++) {
    const cls = i % 2 ? 'MSS' : 'MSIMUT';
    const img = draw(size, size, (x, y) => [(x * 3 + i) % 256, (y * 5 + i * 7) % 256, (x + y) % 256, 255]);
    files.push(memFile(`bench/${cls}/${i}.${format === 'jpeg' ? 'jpg' : 'png'}`, format === 'jpeg' ? encodeJpeg(img) : encodePng(img)));
  }
  const t0 = performance.now();
  const r = await importDataset(files, { inputSize: input }, nodeDecoder);
  const seconds = (performance.now() - t0) / 1000;
  return { format, images: r.samples.count, seconds, imagesPerSec: r.samples.count / seconds };
}

const rows = [await measure('jpeg'), await measure('png')];
console.log(`import throughput: ${count} images of ${size} x ${size} px to ${input} px, Node, pure-JS decoders`);
for (const r of rows) console.log(`${r.format.padEnd(5)} ${r.images} images in ${r.seconds.toFixed(2)} s: ${r.imagesPerSec.toFixed(1)} images/s`);
console.log(JSON.stringify({ importThroughput: rows }));
