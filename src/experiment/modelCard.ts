/**
 * MODEL_CARD.md for an exported run, after Mitchell et al., "Model Cards for Model Reporting"
 * (2019), as a reader of a paper's supplement expects it: the task and classes; the data (name,
 * layout, counts per class and per set, groups if any, how the split was drawn and with which
 * seed); the networks and their initial weights; the hyperparameters; this run's test metrics and
 * the experiment's Table 2 (mean ± std over seeds, the paired t-test against KD); calibration;
 * intended use, "not for clinical use"; and the exact spec to run it again.
 *
 * Owns: the card's text. Pure: no TensorFlow.js, no DOM (the worker writes it into each export).
 */
import { MODE_LABELS, usesFrozenTeacher, type Mode, type NetworkChoice, type RunConfig } from '../core/config';
import type { Metrics, Evaluation, NetworkInfo } from '../core/records';
import type { DatasetInfo, ResultsTable } from '../core/results';
import type { ExperimentSpec } from '../core/spec';
import { tableMarkdown } from './aggregate';

export interface ModelCardInput {
  /** `method:seed`. */
  run: string;
  method: Mode;
  seed: number;
  config: RunConfig;
  networks: NetworkInfo[];
  final: Evaluation;
  /** Networks in the export (the students, and the teacher if asked). */
  exported: string[];
  ensembleRule: string;
  resize: 'stretch' | 'pad';
  spec?: ExperimentSpec | null;
  dataset?: DatasetInfo | null;
  /** Images per class (or `images` for boxes) in this run's training and test sets. */
  counts?: { train: Record<string, number>; test: Record<string, number> } | null;
  /** Table 2 of the experiment so far (all its finished runs). */
  table?: ResultsTable | null;
  createdAt?: Date;
}

const f3 = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));

function metricCells(m: Metrics): string[] {
  if ('accuracy' in m) return [f3(m.accuracy), f3(m.macroAuc), f3(m.ece), String(m.n)];
  return [f3(m.meanIoU), f3(m.hitRate), String(m.n)];
}

function initialWeights(choice: NetworkChoice | undefined): string {
  const w = (choice as (NetworkChoice & { weights?: unknown }) | undefined)?.weights;
  if (typeof w === 'string') return `loaded from \`${w}\``;
  if (w && typeof w === 'object') return `loaded from \`${JSON.stringify(w)}\``;
  return "random, seeded (torchvision's initialisation; the seed is derived from the run's seed and the network's name)";
}

function countsTable(counts: { train: Record<string, number>; test: Record<string, number> }): string[] {
  const names = Array.from(new Set([...Object.keys(counts.train), ...Object.keys(counts.test)]));
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return [
    '| class | train | test |',
    '|---|---|---|',
    ...names.map((n) => `| ${n} | ${counts.train[n] ?? 0} | ${counts.test[n] ?? 0} |`),
    `| **all** | ${total(counts.train)} | ${total(counts.test)} |`,
  ];
}

function groupsLine(dataset: DatasetInfo | null | undefined, spec: ExperimentSpec | null | undefined): string | null {
  const g = (dataset as (DatasetInfo & { groups?: unknown }) | null | undefined)?.groups ?? (spec?.data as { groups?: unknown } | undefined)?.groups;
  if (g === undefined || g === null) return null;
  if (Array.isArray(g)) return `Groups: ${g.length} (images of one group are kept on one side of every split).`;
  if (typeof g === 'object') {
    const o = g as Record<string, unknown>;
    const parts = Object.entries(o)
      .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
      .map(([k, v]) => `${k}: ${String(v)}`);
    return `Groups: ${parts.join(', ') || 'yes'} (images of one group are kept on one side of every split).`;
  }
  return `Groups: ${String(g)}.`;
}

/** The text of MODEL_CARD.md. */
export function modelCard(c: ModelCardInput): string {
  const cfg = c.config;
  const spec = c.spec ?? null;
  const name = spec?.name ?? 'Cohort Studio experiment';
  const classify = cfg.task === 'classify';
  const classNames = cfg.classNames ?? (classify ? Array.from({ length: cfg.classes }, (_, i) => `class${i}`) : []);
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);

  push(
    `# Model card: ${name} — ${MODE_LABELS[c.method]}, seed ${c.seed}`,
    '',
    `Exported by Cohort Studio on ${(c.createdAt ?? new Date()).toISOString()} from run \`${c.run}\`. The ensemble of the students is the model; each network is a TensorFlow.js layers model in its own folder (see README.txt and ensemble.json).`,
    '',
    '## Intended use',
    '',
    '- Research: comparing knowledge distillation and mutual learning on this data, as in "Augmenting Knowledge Distillation with Peer-to-Peer Mutual Learning for Model Compression".',
    '- **Not for clinical use.** This model is not a medical device. It has not been validated on an independent cohort, across sites or scanners, or against a clinical reference standard, and must not inform the diagnosis or treatment of any patient.',
    '- The metrics below hold for the test images of this dataset only; images from another source, stain, scanner or population may be classified very differently.',
    '',
    '## Task',
    '',
    classify
      ? `Classification of one image into ${cfg.classes} classes: ${classNames.map((n) => `\`${n}\``).join(', ')}. The ensemble combines the students' softmax probabilities by the element-wise **${c.ensembleRule}** and takes the argmax.`
      : `Detection of one box per image (cx, cy, w, h in [0, 1]); the ensemble takes the coordinate-wise **${c.ensembleRule}** of the students' boxes.`,
    `Input: ${cfg.inputSize} x ${cfg.inputSize} RGB (${c.resize === 'pad' ? 'padded to a square, then resized' : 'stretched to a square'}), normalised per channel with mean ${JSON.stringify(cfg.normalization.mean)} and std ${JSON.stringify(cfg.normalization.std)}.`,
    '',
    '## Data',
    '',
  );
  const ds = c.dataset;
  push(`- Dataset: ${ds?.name ?? 'unknown'}${ds?.layout ? ` (${ds.layout})` : ''}.`);
  if (ds?.counts)
    push(
      `- Images used, per class: ${Object.entries(ds.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    );
  if (spec) {
    const split =
      spec.data.splitSeed === 'per-seed'
        ? `drawn for this seed: split seed ${c.seed} (each seed its own split, the same across methods)`
        : 'one fixed split for every seed (split seed 0)';
    push(
      `- Split: ${classify ? 'stratified by class, ' : ''}test share ${spec.data.testShare}${spec.data.valShare ? `, validation share ${spec.data.valShare}` : ''}; ${split}, unless the folders gave the split.`,
    );
    if (spec.data.subset) push(`- Subset: a stratified seeded subset of ${spec.data.subset} images.`);
  }
  const groups = groupsLine(ds, spec);
  if (groups) push(`- ${groups}`);
  if (c.counts) push('', 'This run, images per set:', '', ...countsTable(c.counts));
  push('', '## Networks', '', '| network | role | architecture | width | parameters | initial weights | in this export |', '|---|---|---|---|---|---|---|');
  for (const n of c.networks) {
    const choice = n.role === 'teacher' ? cfg.teacher : cfg.students[Number(n.name.replace('student', '')) - 1];
    const role = n.role === 'teacher' ? (usesFrozenTeacher(c.method) ? 'teacher (pre-trained, frozen)' : 'teacher (trained online)') : 'student';
    push(
      `| ${n.name} | ${role} | ${n.arch} | ${n.width} | ${n.params.toLocaleString('en-US')} | ${initialWeights(choice)} | ${c.exported.includes(n.name) ? 'yes' : 'no'} |`,
    );
  }
  push(
    '',
    '## Training and hyperparameters',
    '',
    `Method: **${MODE_LABELS[c.method]}** (\`${c.method}\`), seed ${c.seed}. Loss of student k: α·CE + β·KD(teacher) + γ·ML(peers), as in docs/METHOD.md.`,
    '',
    '| setting | value |',
    '|---|---|',
  );
  const hyper: [string, unknown][] = [
    ['epochs', cfg.epochs],
    ['teacher pre-training epochs', usesFrozenTeacher(c.method) ? (cfg.teacherEpochs ?? cfg.epochs) : '–'],
    ['steps per epoch (cap)', cfg.stepsPerEpoch ?? 'one pass over the training set'],
    ['batch size', cfg.batchSize],
    ['optimiser', `SGD, learning rate ${cfg.lr}, momentum ${cfg.momentum}, weight decay ${cfg.weightDecay}`],
    ['temperature T', cfg.temperature],
    ['α (CE), β (KD), γ (ML)', `${cfg.alpha}, ${cfg.beta}, ${cfg.gamma}`],
    ['KD scaled by T²', cfg.tSquared ? 'yes' : 'no'],
    [
      'augmentation',
      `${[cfg.augment.hflip && 'horizontal flips', cfg.augment.vflip && 'vertical flips', cfg.augment.rot90 && '90° rotations'].filter(Boolean).join(', ') || 'no flips or rotations'}; brightness ±${cfg.augment.brightness}, contrast ±${cfg.augment.contrast}`,
    ],
  ];
  for (const [k, v] of hyper) push(`| ${k} | ${String(v)} |`);

  push('', '## Metrics of this run (test images)', '');
  push(
    classify ? '| network | accuracy | AUC (macro) | ECE | n |' : '| network | mean IoU | IoU ≥ 0.5 | n |',
    classify ? '|---|---|---|---|---|' : '|---|---|---|---|',
  );
  const members: [string, Metrics][] = [
    ...Object.entries(c.final.networks),
    ...Object.entries(c.final.ensembles).map(([k, m]) => [`ensemble (${k})`, m] as [string, Metrics]),
  ];
  for (const [n, m] of members) push(`| ${n} | ${metricCells(m).join(' | ')} |`);

  if (c.table && c.table.rows.length) {
    const seeds = c.table.seeds;
    push(
      '',
      `## Over seeds (Table 2, ${seeds.length} seed${seeds.length === 1 ? '' : 's'}: ${seeds.join(', ')})`,
      '',
      'Mean ± sample standard deviation over the seeds with a finished run. Each ensemble is compared with the KD ensemble by a paired two-sided t-test over seeds (p shown; * where it is better with p < 0.05). With fewer than 2 paired seeds there is no test.',
      '',
      tableMarkdown(c.table).trimEnd(),
    );
  }

  if (classify) {
    push(
      '',
      '## Calibration',
      '',
      'Expected calibration error (ECE, 15 equal-width bins of the top-label confidence; 0 is perfectly calibrated) is in the tables above. Reliability of the ensemble on this run:',
      '',
    );
    const ens = c.final.ensembles[c.ensembleRule] ?? Object.values(c.final.ensembles)[0];
    const bins = ens && 'reliability' in ens ? (ens.reliability ?? []) : [];
    const used = bins.filter((b) => b.count > 0);
    if (used.length) {
      push('| confidence | images | mean confidence | accuracy |', '|---|---|---|---|');
      for (const b of used) push(`| (${b.lo.toFixed(2)}, ${b.hi.toFixed(2)}] | ${b.count} | ${f3(b.confidence)} | ${f3(b.accuracy)} |`);
    } else push('No reliability bins were recorded for this run.');
  }

  push(
    '',
    '## Limitations',
    '',
    '- Small test sets give wide intervals: read the spread over seeds, not one number.',
    '- The ensemble was selected and evaluated on the same test split; no external validation.',
    ...(classify ? ['- Confidence is not correctness: check the calibration above before reading a probability as a risk.'] : []),
    '',
    '## Reproduce',
    '',
    'Open Cohort Studio, load the same data, then Configure → Load spec with `spec.json` (in this export) and Train; or on the command line:',
    '',
    '    npm run experiment -- --spec spec.json --data <the dataset folder> --out results',
    '',
    'Every run is seeded: the same spec, data and seed give the same split, initial weights, batch order, augmentation and dropout masks.',
    '',
  );
  if (spec) push('The exact spec:', '', '```json', JSON.stringify(spec, null, 2), '```', '');
  return lines.join('\n');
}
