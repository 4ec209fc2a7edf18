/**
 * The experiment spec: one versioned JSON document that says what to train (task, data sampling,
 * networks, hyperparameters, methods, seeds, epochs, backend). The studio and the command line read
 * the same spec. `parseSpec` validates a parsed JSON value and names every bad field: a value out of
 * its stated limits (`SPEC_LIMITS`), and a field the spec does not have, at any depth, by its
 * dotted path with the nearest known name as a hint (a mistyped `hyper.learningRate` would
 * otherwise be dropped and the run would silently use the default).
 */
import {
  MODES,
  PAPER_DEFAULTS,
  IMAGENET_NORMALIZATION,
  DEFAULT_AUGMENT,
  defaultRunConfig,
  usesPeers,
  type Mode,
  type RunConfig,
  type NetworkChoice,
  type AugmentConfig,
} from './config';
import { ARCHS, isArch } from './archs';
import { SpecError, type SpecIssue } from './errors';

export const SPEC_VERSION = 1;

/**
 * The fields of each section of a spec. A new field is one line here (then its parsing in
 * `parseSpec`); any other name is an error naming its dotted path.
 */
export const SPEC_FIELDS = {
  spec: ['version', 'name', 'task', 'data', 'inputSize', 'teacher', 'students', 'hyper', 'augment', 'methods', 'seeds', 'backend'],
  data: ['subset', 'testShare', 'valShare', 'splitSeed', 'resize', 'groups', 'splitBy'],
  /** `teacher` and each of `students[k]`. */
  network: ['arch', 'width', 'weights'],
  hyper: ['epochs', 'teacherEpochs', 'stepsPerEpoch', 'batchSize', 'lr', 'momentum', 'weightDecay', 'temperature', 'alpha', 'beta', 'gamma', 'tSquared'],
  augment: ['hflip', 'vflip', 'rotate', 'rot90', 'brightness', 'contrast'],
} as const satisfies Record<string, readonly string[]>;

/**
 * The stated limits of a spec's numbers: beyond them an experiment cannot finish in a browser or
 * on one GPU, or two values would alias (the seeded generators take seeds as 32-bit words, so a
 * seed of 2^32 would repeat seed 0's runs).
 */
export const SPEC_LIMITS = {
  nameLength: 200,
  subset: { min: 2, max: 10_000_000 },
  inputSize: { min: 32, max: 1024 },
  /** Width multipliers: 1/64 (narrower rounds channels to nothing) to 4. */
  width: { min: 1 / 64, max: 4 },
  students: { min: 1, max: 8 },
  epochs: { min: 1, max: 1000 },
  stepsPerEpoch: { min: 1, max: 1_000_000 },
  batchSize: { min: 1, max: 1024 },
  seeds: { count: 100, max: 2 ** 32 - 1 },
  lr: { max: 10 },
  weightDecay: { max: 1 },
  temperature: { max: 100 },
  /** alpha, beta and gamma. */
  lossWeight: { max: 100 },
} as const;

export interface ExperimentSpec {
  version: 1;
  name: string;
  task: 'classify' | 'box';
  data: {
    /** Stratified seeded subset of this many images (all when absent). */
    subset?: number;
    testShare: number;
    valShare: number;
    /** 'per-seed': each seed draws its own split (paired: same seed, same split); 'fixed': one split for all. */
    splitSeed: 'per-seed' | 'fixed';
    resize: 'stretch' | 'pad';
    /**
     * Where each image's group (patient, slide, sequence, source tile) comes from: "none", "auto"
     * (a TCGA barcode in the file name, or a groups CSV inside the folder), or the path of a
     * `file,group` CSV (relative to the spec, for the command line).
     */
    groups?: string;
    /** With groups: "group" (default) keeps each group on one side; "image" splits images and leaks. */
    splitBy?: 'group' | 'image';
  };
  inputSize: number;
  teacher: NetworkChoice;
  students: NetworkChoice[];
  /** The run config's training fields, shared by every run of the experiment. */
  hyper: Pick<
    RunConfig,
    'epochs' | 'teacherEpochs' | 'stepsPerEpoch' | 'batchSize' | 'lr' | 'momentum' | 'weightDecay' | 'temperature' | 'alpha' | 'beta' | 'gamma' | 'tSquared'
  >;
  augment: AugmentConfig;
  methods: Mode[];
  seeds: number[];
  backend: 'auto' | 'webgpu' | 'webgl' | 'cpu';
}

export function defaultSpec(over: Partial<ExperimentSpec> = {}): ExperimentSpec {
  return {
    version: 1,
    name: 'Experiment',
    task: 'classify',
    data: { testShare: 0.2, valShare: 0, splitSeed: 'per-seed', resize: 'stretch', groups: 'auto', splitBy: 'group' },
    inputSize: 224,
    teacher: { arch: 'resnet152' },
    students: [{ arch: 'resnet50' }, { arch: 'resnet34' }],
    hyper: { epochs: 10, ...PAPER_DEFAULTS },
    augment: { ...DEFAULT_AUGMENT },
    methods: ['kd', 'ml', 'kdml_online', 'kdml_offline'],
    seeds: [0, 1, 2],
    backend: 'auto',
    ...over,
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validate a parsed JSON value as a spec; missing optional fields take the paper's defaults. */
export function parseSpec(value: unknown): ExperimentSpec {
  const issues: SpecIssue[] = [];
  const bad = (field: string, message: string) => issues.push({ field, message });
  if (!isObj(value)) throw new SpecError([{ field: '(root)', message: 'must be a JSON object' }]);
  const d = defaultSpec();
  const L = SPEC_LIMITS;
  const unknown = (section: string, o: Obj, known: readonly string[]) => {
    for (const k of Object.keys(o)) {
      if (known.includes(k)) continue;
      const hint = nearestName(k, known);
      bad(section ? `${section}.${k}` : k, `is not a spec field${hint ? `; did you mean "${hint}"?` : `; known: ${known.join(', ')}`}`);
    }
  };
  const num = (field: string, v: unknown, fallback: number | undefined, o: { min?: number; max?: number; int?: boolean; gt?: number } = {}): number => {
    if (v === undefined) {
      if (fallback === undefined) bad(field, 'is required');
      return fallback ?? NaN;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      bad(field, `must be a number, got ${JSON.stringify(v)}`);
      return NaN;
    }
    if (o.int && !Number.isInteger(v)) bad(field, `must be an integer, got ${v}`);
    if (o.min !== undefined && v < o.min) bad(field, `must be >= ${o.min}, got ${v}`);
    if (o.gt !== undefined && v <= o.gt) bad(field, `must be > ${o.gt}, got ${v}`);
    if (o.max !== undefined && v > o.max) bad(field, `must be <= ${o.max}, got ${v}`);
    return v;
  };
  const oneOf = <T extends string>(field: string, v: unknown, options: readonly T[], fallback: T): T => {
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !options.includes(v as T)) {
      bad(field, `must be one of ${options.map((o) => `"${o}"`).join(', ')}, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v as T;
  };
  const net = (field: string, v: unknown): NetworkChoice => {
    if (!isObj(v)) {
      bad(field, 'must be an object like { "arch": "resnet34", "width": 1 }');
      return { arch: '' };
    }
    unknown(field, v, SPEC_FIELDS.network);
    if (typeof v.arch !== 'string' || !isArch(v.arch)) bad(`${field}.arch`, `unknown architecture ${JSON.stringify(v.arch)}; known: ${ARCHS.join(', ')}`);
    const width = v.width === undefined ? undefined : num(`${field}.width`, v.width, 1, L.width);
    const out: NetworkChoice = width === undefined ? { arch: String(v.arch) } : { arch: String(v.arch), width };
    if (v.weights !== undefined) {
      if (typeof v.weights !== 'string' || v.weights.trim() === '' || v.weights.length > 1024)
        bad(`${field}.weights`, 'must be the name of a weights file (.safetensors, .pth or .pt)');
      else out.weights = v.weights;
    }
    return out;
  };

  if (value.version !== SPEC_VERSION) bad('version', `must be ${SPEC_VERSION}, got ${JSON.stringify(value.version)}`);
  unknown('', value, SPEC_FIELDS.spec);
  const name = value.name === undefined ? d.name : typeof value.name === 'string' ? value.name : (bad('name', 'must be a string'), d.name);
  if (name.length > L.nameLength) bad('name', `must be at most ${L.nameLength} characters, got ${name.length}`);
  const task = oneOf('task', value.task, ['classify', 'box'] as const, d.task);
  const data = isObj(value.data) ? value.data : value.data === undefined ? {} : (bad('data', 'must be an object'), {});
  unknown('data', data, SPEC_FIELDS.data);
  const subset = data.subset === undefined ? undefined : num('data.subset', data.subset, undefined, { int: true, ...L.subset });
  const testShare = num('data.testShare', data.testShare, d.data.testShare, { gt: 0, max: 0.9 });
  const valShare = num('data.valShare', data.valShare, d.data.valShare, { min: 0, max: 0.5 });
  const splitSeed = oneOf('data.splitSeed', data.splitSeed, ['per-seed', 'fixed'] as const, d.data.splitSeed);
  const resize = oneOf('data.resize', data.resize, ['stretch', 'pad'] as const, d.data.resize);
  let groups = d.data.groups!;
  if (data.groups !== undefined) {
    if (typeof data.groups !== 'string' || data.groups.trim() === '') bad('data.groups', 'must be "none", "auto" or the path of a file,group CSV');
    else groups = data.groups;
  }
  const splitBy = oneOf('data.splitBy', data.splitBy, ['group', 'image'] as const, d.data.splitBy!);
  const inputSize = num('inputSize', value.inputSize, d.inputSize, { int: true, ...L.inputSize });
  const teacher = value.teacher === undefined ? d.teacher : net('teacher', value.teacher);
  let students = d.students;
  if (value.students !== undefined) {
    if (!Array.isArray(value.students) || value.students.length === 0) {
      bad('students', 'must be a non-empty array of networks');
    } else if (value.students.length > L.students.max) {
      bad('students', `must list at most ${L.students.max} networks, got ${value.students.length}`);
    } else students = value.students.map((s, i) => net(`students[${i}]`, s));
  }
  const h = isObj(value.hyper) ? value.hyper : value.hyper === undefined ? {} : (bad('hyper', 'must be an object'), {});
  unknown('hyper', h, SPEC_FIELDS.hyper);
  const hyper: ExperimentSpec['hyper'] = {
    epochs: num('hyper.epochs', h.epochs, d.hyper.epochs, { int: true, ...L.epochs }),
    batchSize: num('hyper.batchSize', h.batchSize, d.hyper.batchSize, { int: true, ...L.batchSize }),
    lr: num('hyper.lr', h.lr, d.hyper.lr, { gt: 0, ...L.lr }),
    momentum: num('hyper.momentum', h.momentum, d.hyper.momentum, { min: 0, max: 0.999 }),
    weightDecay: num('hyper.weightDecay', h.weightDecay, d.hyper.weightDecay, { min: 0, ...L.weightDecay }),
    temperature: num('hyper.temperature', h.temperature, d.hyper.temperature, { gt: 0, ...L.temperature }),
    alpha: num('hyper.alpha', h.alpha, d.hyper.alpha, { min: 0, ...L.lossWeight }),
    beta: num('hyper.beta', h.beta, d.hyper.beta, { min: 0, ...L.lossWeight }),
    gamma: num('hyper.gamma', h.gamma, d.hyper.gamma, { min: 0, ...L.lossWeight }),
    tSquared: h.tSquared === undefined ? false : typeof h.tSquared === 'boolean' ? h.tSquared : (bad('hyper.tSquared', 'must be true or false'), false),
  };
  if (h.teacherEpochs !== undefined) hyper.teacherEpochs = num('hyper.teacherEpochs', h.teacherEpochs, undefined, { int: true, ...L.epochs });
  if (h.stepsPerEpoch !== undefined) hyper.stepsPerEpoch = num('hyper.stepsPerEpoch', h.stepsPerEpoch, undefined, { int: true, ...L.stepsPerEpoch });
  const a = isObj(value.augment) ? value.augment : value.augment === undefined ? {} : (bad('augment', 'must be an object'), {});
  unknown('augment', a, SPEC_FIELDS.augment);
  const flag = (f: string, v: unknown, fb: boolean) => (v === undefined ? fb : typeof v === 'boolean' ? v : (bad(f, 'must be true or false'), fb));
  const augment: AugmentConfig = {
    hflip: flag('augment.hflip', a.hflip, d.augment.hflip),
    vflip: flag('augment.vflip', a.vflip, d.augment.vflip),
    rot90: flag('augment.rot90', a.rot90, d.augment.rot90),
    rotate: num('augment.rotate', a.rotate, d.augment.rotate, { min: 0, max: 45 }),
    brightness: num('augment.brightness', a.brightness, d.augment.brightness, { min: 0, max: 0.5 }),
    contrast: num('augment.contrast', a.contrast, d.augment.contrast, { min: 0, max: 0.5 }),
  };
  let methods = d.methods;
  if (value.methods !== undefined) {
    if (!Array.isArray(value.methods) || value.methods.length === 0) bad('methods', `must be a non-empty array of ${MODES.join(', ')}`);
    else {
      methods = [];
      value.methods.forEach((m, i) => {
        if (typeof m !== 'string' || !(MODES as readonly string[]).includes(m))
          bad(`methods[${i}]`, `unknown method ${JSON.stringify(m)}; known: ${MODES.join(', ')}`);
        else if (methods.includes(m as Mode)) bad(`methods[${i}]`, `"${m}" is listed twice`);
        else methods.push(m as Mode);
      });
    }
  }
  if (methods.some(usesPeers) && students.length < 2)
    bad('students', `mutual learning (${methods.filter(usesPeers).join(', ')}) needs at least 2 students, got ${students.length}`);
  let seeds = d.seeds;
  if (value.seeds !== undefined) {
    if (!Array.isArray(value.seeds) || value.seeds.length === 0) bad('seeds', 'must be a non-empty array of integers');
    else if (value.seeds.length > L.seeds.count) bad('seeds', `must list at most ${L.seeds.count} seeds, got ${value.seeds.length}`);
    else {
      seeds = value.seeds.map((s, i) => num(`seeds[${i}]`, s, undefined, { int: true, min: 0, max: L.seeds.max }));
      if (new Set(seeds).size !== seeds.length) bad('seeds', 'must not repeat a seed');
    }
  }
  const backend = oneOf('backend', value.backend, ['auto', 'webgpu', 'webgl', 'cpu'] as const, d.backend);
  if (issues.length) throw new SpecError(issues);
  return {
    version: 1,
    name,
    task,
    data: { ...(subset !== undefined ? { subset } : {}), testShare, valShare, splitSeed, resize, groups, splitBy },
    inputSize,
    teacher,
    students,
    hyper,
    augment,
    methods,
    seeds,
    backend,
  };
}

/** Words of a field name, lower case: `learningRate` and `learning_rate` give [learning, rate]. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Edits (insert, delete, substitute, swap two neighbours) from a to b. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name a mistyped one most likely meant, or null: the same words in another case or
 * separator (`batch_size`), initials (`learningRate` for `lr`), or a few letters off (`epoch`).
 */
export function nearestName(name: string, known: readonly string[]): string | null {
  const w = words(name);
  const flat = w.join('');
  for (const k of known) if (words(k).join('') === flat) return k;
  if (w.length > 1) for (const k of known) if (k.toLowerCase() === w.map((x) => x[0]).join('')) return k;
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(flat, words(k).join(''));
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  return best !== null && bestD <= Math.max(1, Math.floor(Math.min(flat.length, best.length) / 3)) ? best : null;
}

/** The run config of one (method, seed) of a spec. */
export function runConfigOf(spec: ExperimentSpec, method: Mode, seed: number, classes: number, classNames?: string[]): RunConfig {
  return defaultRunConfig({
    task: spec.task,
    classes: spec.task === 'classify' ? classes : 2,
    classNames: spec.task === 'classify' ? classNames : undefined,
    inputSize: spec.inputSize,
    mode: method,
    teacher: spec.teacher,
    students: spec.students,
    seed,
    epochs: spec.hyper.epochs,
    teacherEpochs: spec.hyper.teacherEpochs,
    stepsPerEpoch: spec.hyper.stepsPerEpoch,
    batchSize: spec.hyper.batchSize,
    lr: spec.hyper.lr,
    momentum: spec.hyper.momentum,
    weightDecay: spec.hyper.weightDecay,
    temperature: spec.hyper.temperature,
    alpha: spec.hyper.alpha,
    beta: spec.hyper.beta,
    gamma: spec.hyper.gamma,
    tSquared: spec.hyper.tSquared,
    augment: spec.augment,
    normalization: IMAGENET_NORMALIZATION,
  });
}
