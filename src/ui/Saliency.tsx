/**
 * Grad-CAM overlays for Inspect: an image with a network's map over it (blue: little evidence,
 * red: the most), upsampled smoothly from the last block's resolution, and the colour key.
 */
import { useEffect, useRef } from 'react';
import type { Thumbnail } from '../data/summary';

export interface HeatMap {
  height: number;
  width: number;
  values: number[];
  peak: number;
}

/** The "jet" colour of v in [0, 1], with more opacity for more evidence. */
function jet(v: number): [number, number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1)), Math.round(255 * (0.15 + 0.5 * v))];
}

export function HeatOverlay({
  image,
  map,
  display = 128,
  title,
  testId,
}: {
  image: Thumbnail;
  map: HeatMap | null;
  display?: number;
  title: string;
  testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = new OffscreenCanvas(image.size, image.size);
    img.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.size, image.size), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.clearRect(0, 0, display, display);
    ctx.drawImage(img, 0, 0, display, display);
    if (!map || map.peak === 0) return;
    const heat = new OffscreenCanvas(map.width, map.height);
    const data = new ImageData(map.width, map.height);
    map.values.forEach((v, i) => data.data.set(jet(Number.isFinite(v) ? v : 0), i * 4));
    heat.getContext('2d')!.putImageData(data, 0, 0);
    // Bilinear upsampling of the coarse map, as Grad-CAM's figures do.
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(heat, 0, 0, display, display);
  }, [image, map, display]);
  return (
    <canvas
      ref={ref}
      width={display}
      height={display}
      className="thumb"
      role="img"
      aria-label={title}
      title={title}
      data-testid={testId}
      data-peak={map ? map.peak : undefined}
    />
  );
}

export function HeatLegend() {
  return (
    <span className="hint">
      Grad-CAM: <span className="heat-legend" aria-hidden /> little → most evidence for the class explained
    </span>
  );
}
