/**
 * A plain SVG plot for many long curves: lines and shaded ranges on shared linear or log axes,
 * with a hover readout. Compare's curves draw up to 20 runs x 2 curves x 500 points; recharts
 * re-derived every point of every series on each update (measured in e2e/tool.spec.ts: 1.3-4.3 s
 * per update on SwiftShader under load), so this draws each series as one memoised <path> and
 * computes nothing else per point.
 *
 * Owns: scales, ticks and drawing. Draws what it is given; knows nothing of runs or the store.
 */
import { memo, useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { fmt } from './common';

export interface PlotLine {
  id: string;
  points: { x: number; y: number }[];
  colour: string;
  width?: number;
  opacity?: number;
  dash?: string;
  className?: string;
  /** Shown in the hover readout; lines without a label are not read out. */
  label?: string;
  dots?: boolean;
}

export interface PlotArea {
  id: string;
  points: { x: number; range: [number, number] }[];
  colour: string;
  opacity?: number;
  className?: string;
}

type Scale = (v: number) => number;

/** About `count` round tick values covering [lo, hi]; whole numbers only when `integer` (steps, epochs). */
export function linearTicks(lo: number, hi: number, count = 6, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  // d3's tick step: a power of ten times 1, 2 or 5, whichever is nearest the raw step.
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const err = raw / mag;
  const nice = mag * (err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.SQRT2 ? 2 : 1);
  const step = integer ? Math.max(1, nice) : nice;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Ticks of a log axis: 1, 2, 5 times the powers of ten in [lo, hi] (just the powers when there are many). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const steps = b - a > 4 ? [1] : [1, 2, 5];
  for (let e = a; e <= b; e++) {
    for (const m of steps) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  // Less than a decade: round linear ticks read better than one or two powers.
  return out.length >= 3 ? out : linearTicks(lo, hi, 5);
}

function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([e]) => setWidth(Math.max(200, Math.floor(e.contentRect.width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

const LinePath = memo(function LinePath({ line, sx, sy }: { line: PlotLine; sx: Scale; sy: Scale }) {
  const d = useMemo(() => line.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(''), [line.points, sx, sy]);
  return (
    <g className={line.className}>
      <path
        className="line"
        d={d}
        fill="none"
        stroke={line.colour}
        strokeWidth={line.width ?? 1.5}
        strokeOpacity={line.opacity ?? 1}
        strokeDasharray={line.dash}
        strokeLinejoin="round"
      />
      {line.dots && line.points.map((p, i) => <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={2.5} fill={line.colour} />)}
    </g>
  );
});

const AreaPath = memo(function AreaPath({ area, sx, sy }: { area: PlotArea; sx: Scale; sy: Scale }) {
  const d = useMemo(() => {
    if (!area.points.length) return '';
    const top = area.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.range[1]).toFixed(1)}`);
    const bottom = area.points
      .slice()
      .reverse()
      .map((p) => `L${sx(p.x).toFixed(1)},${sy(p.range[0]).toFixed(1)}`);
    return `${top.join('')}${bottom.join('')}Z`;
  }, [area.points, sx, sy]);
  return (
    <g className={area.className}>
      <path className="area" d={d} fill={area.colour} fillOpacity={area.opacity ?? 0.18} stroke="none" />
    </g>
  );
});

/** The point of `points` (sorted by x) nearest to x. */
function nearest<P extends { x: number }>(points: P[], x: number): P | undefined {
  let lo = 0;
  let hi = points.length - 1;
  if (hi < 0) return undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[lo].x - x) <= Math.abs(points[hi].x - x) ? points[lo] : points[hi];
}

export function CurvePlot({
  lines,
  areas = [],
  log = false,
  height = 300,
  xLabel,
  xFormat = (v) => String(Math.round(v * 100) / 100),
  xInteger = false,
}: {
  lines: PlotLine[];
  areas?: PlotArea[];
  log?: boolean;
  height?: number;
  xLabel: string;
  xFormat?: (v: number) => string;
  /** The x values are counts (steps, epochs): no tick between two of them. */
  xInteger?: boolean;
}) {
  const [ref, width] = useWidth();
  const [hover, setHover] = useState<number | null>(null);
  const m = { top: 8, right: 16, bottom: 36, left: 60 };
  const { sx, sy, xt, yt, x0, x1 } = useMemo(() => {
    let xmin = Infinity;
    let xmax = -Infinity;
    let ymin = Infinity;
    let ymax = -Infinity;
    const seeY = (y: number) => {
      if (!Number.isFinite(y) || (log && y <= 0)) return;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
    };
    for (const l of lines) {
      for (const p of l.points) {
        if (p.x < xmin) xmin = p.x;
        if (p.x > xmax) xmax = p.x;
        seeY(p.y);
      }
    }
    for (const a of areas) {
      for (const p of a.points) {
        seeY(p.range[0]);
        seeY(p.range[1]);
      }
    }
    if (!Number.isFinite(xmin)) [xmin, xmax] = [0, 1];
    if (xmax === xmin) [xmin, xmax] = [xmin - 1, xmax + 1];
    if (!Number.isFinite(ymin)) [ymin, ymax] = log ? [0.1, 1] : [0, 1];
    if (ymax === ymin) [ymin, ymax] = log ? [ymin / 2, ymax * 2] : [ymin - 0.5, ymax + 0.5];
    const pad = log ? 1 : (ymax - ymin) * 0.05;
    const [ylo, yhi] = log ? [ymin / 1.1, ymax * 1.1] : [ymin - pad, ymax + pad];
    const w = Math.max(10, width - m.left - m.right);
    const h = height - m.top - m.bottom;
    const sx: Scale = (v) => m.left + ((v - xmin) / (xmax - xmin)) * w;
    const ly = (v: number) => Math.log10(Math.max(v, ylo));
    const sy: Scale = log ? (v) => m.top + h - ((ly(v) - ly(ylo)) / (ly(yhi) - ly(ylo))) * h : (v) => m.top + h - ((v - ylo) / (yhi - ylo)) * h;
    return {
      sx,
      sy,
      xt: linearTicks(xmin, xmax, Math.max(3, Math.floor(w / 110)), xInteger),
      yt: log ? logTicks(ylo, yhi) : linearTicks(ylo, yhi, 6),
      x0: xmin,
      x1: xmax,
    };
  }, [lines, areas, log, xInteger, width, height, m.left, m.right, m.top, m.bottom]);

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - r.left;
    const x = x0 + ((px - m.left) / Math.max(1, width - m.left - m.right)) * (x1 - x0);
    setHover(x >= x0 && x <= x1 ? x : null);
  };
  const readout =
    hover === null
      ? []
      : lines
          .filter((l) => l.label)
          .map((l) => ({ l, p: nearest(l.points, hover) }))
          .filter((r): r is { l: PlotLine; p: { x: number; y: number } } => r.p !== undefined)
          .slice(0, 12);
  const fmtY = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : fmt(v, Math.abs(v) < 0.01 && v !== 0 ? 4 : 3));

  return (
    <div ref={ref} className="curve-plot">
      <svg width={width} height={height} role="img" aria-label={`curves by ${xLabel}`} onMouseMove={onMove} onMouseLeave={() => setHover(null)}>
        <g className="grid">
          {yt.map((t) => (
            <line key={`y${t}`} x1={m.left} x2={width - m.right} y1={sy(t)} y2={sy(t)} />
          ))}
          {xt.map((t) => (
            <line key={`x${t}`} x1={sx(t)} x2={sx(t)} y1={m.top} y2={height - m.bottom} />
          ))}
        </g>
        <g className="ticks">
          {yt.map((t) => (
            <text key={`y${t}`} x={m.left - 6} y={sy(t)} textAnchor="end" dominantBaseline="middle">
              {fmtY(t)}
            </text>
          ))}
          {xt.map((t) => (
            <text key={`x${t}`} x={sx(t)} y={height - m.bottom + 16} textAnchor="middle">
              {xFormat(t)}
            </text>
          ))}
          <text x={m.left + (width - m.left - m.right) / 2} y={height - 4} textAnchor="middle">
            {xLabel}
          </text>
        </g>
        {areas.map((a) => (
          <AreaPath key={a.id} area={a} sx={sx} sy={sy} />
        ))}
        {lines.map((l) => (
          <LinePath key={l.id} line={l} sx={sx} sy={sy} />
        ))}
        {hover !== null && <line className="hover-rule" x1={sx(hover)} x2={sx(hover)} y1={m.top} y2={height - m.bottom} />}
      </svg>
      {readout.length > 0 && (
        <div className="readout" role="status">
          <strong>
            {xLabel} {xFormat(readout[0].p.x)}
          </strong>
          {readout.map(({ l, p }) => (
            <span key={l.id} style={{ color: l.colour }}>
              {l.label}: {fmtY(p.y)}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}
