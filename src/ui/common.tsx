/** Small shared pieces of the studio's screens: number formats, downloads, an image with boxes. */
import { useEffect, useRef } from 'react';
import type { Thumbnail } from '../data/summary';

export function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

export function fmtInt(v: number): string {
  return v.toLocaleString('en-US');
}

export function fmtBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || Number.isNaN(b)) return '–';
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
  return `${(b / 1e3).toFixed(0)} kB`;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Save bytes or text as a file (main thread only). */
export function download(name: string, data: BlobPart, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface DrawnBox {
  box: readonly number[];
  colour: string;
  label?: string;
  dashed?: boolean;
}

/** An RGBA thumbnail drawn at `display` px with (cx, cy, w, h) boxes in [0, 1] over it. */
export function ImageWithBoxes({ image, boxes = [], display = 128, title }: { image: Thumbnail; boxes?: DrawnBox[]; display?: number; title?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const tmp = new OffscreenCanvas(image.size, image.size);
    tmp.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.size, image.size), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.clearRect(0, 0, display, display);
    ctx.drawImage(tmp, 0, 0, display, display);
    for (const b of boxes) {
      const [cx, cy, w, h] = b.box;
      ctx.strokeStyle = b.colour;
      ctx.lineWidth = 2;
      ctx.setLineDash(b.dashed ? [5, 3] : []);
      ctx.strokeRect((cx - w / 2) * display, (cy - h / 2) * display, w * display, h * display);
    }
  }, [image, boxes, display]);
  return <canvas ref={ref} width={display} height={display} className="thumb" title={title ?? image.id} aria-label={title ?? image.id} role="img" />;
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  return (
    <div className="progress">
      <span>{label}</span>
      <progress value={Math.min(value, max)} max={Math.max(max, 1)} aria-label={label} />
    </div>
  );
}
