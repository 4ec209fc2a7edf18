/** Per-step total loss of every network, downsampled for drawing (the store keeps every point). */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Evaluation } from '../core/records';
import type { StepPoint } from '../store/progress';

export const NETWORK_COLOURS: Record<string, string> = {
  teacher: '#5b4bd6',
  student1: '#2a9d8f',
  student2: '#e76f51',
  student3: '#e9c46a',
  student4: '#4d8fd6',
};

export function colourOf(name: string): string {
  return NETWORK_COLOURS[name] ?? '#888888';
}

/** Keep at most `max` points: every k-th point plus the last, so the latest value is always drawn. */
export function downsample<T>(points: T[], max = 600): T[] {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out: T[] = [];
  for (let i = 0; i < points.length; i += k) out.push(points[i]);
  if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
  return out;
}

export function LossChart({ steps, names, term = 'total' }: { steps: StepPoint[]; names: string[]; term?: 'total' | 'ce' | 'kd' | 'ml' }) {
  const rows = downsample(steps).map((p) => {
    const row: Record<string, number> = { step: p.step };
    for (const n of names) if (p.losses[n]) row[n] = p.losses[n][term];
    return row;
  });
  return (
    <figure className="chart" aria-label={`Loss (${term}) per step`}>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} />
          <YAxis width={48} />
          <Tooltip />
          <Legend />
          {names.map((n) => (
            <Line key={n} type="linear" dataKey={n} stroke={colourOf(n)} dot={false} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
      <figcaption>Loss ({term}) per step</figcaption>
    </figure>
  );
}

/** Test (or validation) metric, accuracy or mean IoU, per epoch for every network and ensemble of a run. */
export function EpochChart({ evaluations, label, part = 'test' }: { evaluations: Evaluation[]; label: string; part?: 'test' | 'validation' }) {
  const keys = new Set<string>();
  const rows = evaluations.map((e, i) => {
    const row: Record<string, number> = { epoch: i + 1 };
    const ev = part === 'validation' ? (e.validation ?? { networks: {}, ensembles: {} }) : e;
    for (const [n, m] of Object.entries(ev.networks)) {
      row[n] = 'accuracy' in m ? m.accuracy : m.meanIoU;
      keys.add(n);
    }
    for (const [n, m] of Object.entries(ev.ensembles)) {
      row[`ensemble (${n})`] = 'accuracy' in m ? m.accuracy : m.meanIoU;
      keys.add(`ensemble (${n})`);
    }
    return row;
  });
  return (
    <figure className="chart" aria-label={`${label} per epoch${part === 'validation' ? ' (validation)' : ''}`}>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="epoch" type="number" domain={[1, 'dataMax']} allowDecimals={false} />
          <YAxis width={48} domain={[0, 1]} />
          <Tooltip />
          <Legend />
          {Array.from(keys).map((k) => (
            <Line
              key={k}
              type="linear"
              dataKey={k}
              stroke={k.startsWith('ensemble') ? 'currentColor' : colourOf(k)}
              strokeOpacity={k.includes('mean') ? 0.6 : 1}
              strokeDasharray={k.includes('mean') ? '4 3' : undefined}
              dot
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
      <figcaption>
        {label} on the {part === 'validation' ? 'validation images (held out from training)' : 'test images'}, per epoch
      </figcaption>
    </figure>
  );
}
