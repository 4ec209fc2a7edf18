/**
 * A run's configuration: which networks, which mode, which hyperparameters, which seed. Defaults
 * are the paper's (docs/METHOD.md). `validateRunConfig` names the first problem before any GPU work.
 */
import { EngineError } from './errors';
import { isArch, ARCHS, type Task } from './archs';

export const MODES = ['kd', 'ml', 'kdml_online', 'kdml_offline', 'independent'] as const;
export type Mode = (typeof MODES)[number];

export const MODE_LABELS: Record<Mode, string> = {
  kd: 'KD',
  ml: 'ML',
  kdml_online: 'KD+ML online',
  kdml_offline: 'KD+ML offline',
  independent: 'Independent',
};

/** Modes whose students learn from each other: they need K >= 2. */
export function usesPeers(mode: Mode): boolean {
  return mode === 'ml' || mode === 'kdml_online' || mode === 'kdml_offline';
}
/** Modes with a teacher. */
export function usesTeacher(mode: Mode): boolean {
  return mode === 'kd' || mode === 'kdml_online' || mode === 'kdml_offline';
}
/** Modes whose teacher is pre-trained with CE and then frozen. */
export function usesFrozenTeacher(mode: Mode): boolean {
  return mode === 'kd' || mode === 'kdml_offline';
}

export interface NetworkChoice {
  arch: string;
  /** Width multiplier (1 = the published architecture). */
  width?: number;
  /**
   * A torchvision state dict (`.safetensors`, `.pth`, `.pt`) the network starts from; absent: random
   * weights from the run's seed. The studio names a file it keeps in the origin's storage; the
   * command line resolves it relative to the spec.
   */
  weights?: string;
}

export interface AugmentConfig {
  hflip: boolean;
  vflip: boolean;
  rot90: boolean;
  /**
   * Small-angle rotation: a uniform angle in [-rotate, rotate] degrees per image (0 or absent:
   * off), bilinear, black outside the image; boxes become the axis-aligned box of the rotated box.
   */
  rotate?: number;
  /** Brightness jitter: add uniform(-b, b) to [0,1] pixel values. */
  brightness: number;
  /** Contrast jitter: scale around 0.5 by uniform(1-c, 1+c). */
  contrast: number;
}

export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

export const IMAGENET_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export interface RunConfig {
  task: Task;
  /** Number of classes (classification); 4 box numbers for detection are implied. */
  classes: number;
  classNames?: string[];
  inputSize: number;
  mode: Mode;
  teacher?: NetworkChoice;
  students: NetworkChoice[];
  seed: number;
  epochs: number;
  /** Epochs of the teacher's CE pre-training for KD and KD+ML offline (default: `epochs`). */
  teacherEpochs?: number;
  /** Cap on optimisation steps per epoch (default: one pass over the training set). */
  stepsPerEpoch?: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  temperature: number;
  alpha: number;
  beta: number;
  gamma: number;
  tSquared: boolean;
  augment: AugmentConfig;
  normalization: Normalization;
  boxEnsemble: 'mean' | 'median';
}

export const PAPER_DEFAULTS = {
  temperature: 2,
  alpha: 0.1,
  beta: 0.45,
  gamma: 0.45,
  tSquared: false,
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
  batchSize: 16,
} as const;

/** The method's augmentation: flips and small rotations; 90-degree turns and colour jitter are options. */
export const DEFAULT_AUGMENT: Readonly<Required<AugmentConfig>> = { hflip: true, vflip: true, rot90: false, rotate: 15, brightness: 0, contrast: 0 };

export function defaultRunConfig(overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    task: 'classify',
    classes: 2,
    inputSize: 224,
    mode: 'kdml_online',
    teacher: { arch: 'resnet152' },
    students: [{ arch: 'resnet50' }, { arch: 'resnet34' }],
    seed: 0,
    epochs: 10,
    ...PAPER_DEFAULTS,
    augment: { ...DEFAULT_AUGMENT },
    normalization: IMAGENET_NORMALIZATION,
    boxEnsemble: 'mean',
    ...overrides,
  };
}

/** Optimisation steps per epoch for a training set of `trainCount` images. */
export function stepsPerEpochFor(c: Pick<RunConfig, 'batchSize' | 'stepsPerEpoch'>, trainCount: number): number {
  const full = Math.ceil(trainCount / c.batchSize);
  return c.stepsPerEpoch ? Math.min(c.stepsPerEpoch, full) : full;
}

function invalid(field: string, message: string): never {
  throw new EngineError('INVALID_CONFIG', `${field}: ${message}`, field);
}

function checkNumber(field: string, v: unknown, opts: { min?: number; integer?: boolean; exclusiveMin?: boolean } = {}): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(field, `must be a finite number, got ${String(v)}`);
  if (opts.integer && !Number.isInteger(v)) invalid(field, `must be an integer, got ${v}`);
  if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) {
    invalid(field, `must be ${opts.exclusiveMin ? '>' : '>='} ${opts.min}, got ${v}`);
  }
}

function checkArch(field: string, n: NetworkChoice | undefined): void {
  if (!n || typeof n.arch !== 'string') invalid(field, 'missing architecture');
  if (!isArch(n.arch)) {
    throw new EngineError('UNKNOWN_ARCH', `${field}: unknown architecture "${n.arch}"; known: ${ARCHS.join(', ')}`, n.arch);
  }
  if (n.width !== undefined) checkNumber(`${field}.width`, n.width, { min: 0, exclusiveMin: true });
}

/** Throws a typed EngineError naming the first problem of `c`. */
export function validateRunConfig(c: RunConfig): void {
  if (c.task !== 'classify' && c.task !== 'box') invalid('task', `must be "classify" or "box", got ${String(c.task)}`);
  if (!(MODES as readonly string[]).includes(c.mode)) invalid('mode', `must be one of ${MODES.join(', ')}, got ${String(c.mode)}`);
  if (c.task === 'classify') {
    checkNumber('classes', c.classes, { min: 2, integer: true });
    if (c.classNames && c.classNames.length !== c.classes) {
      throw new EngineError('LABEL_MISMATCH', `classNames has ${c.classNames.length} names but classes is ${c.classes}`, 'classNames');
    }
  }
  checkNumber('inputSize', c.inputSize, { min: 32, integer: true });
  if (!Array.isArray(c.students) || c.students.length === 0) invalid('students', 'at least one student is needed');
  c.students.forEach((s, i) => checkArch(`students[${i}]`, s));
  if (usesPeers(c.mode) && c.students.length < 2) {
    throw new EngineError(
      'TOO_FEW_STUDENTS',
      `${MODE_LABELS[c.mode]} needs at least 2 students (mutual learning is between peers); got ${c.students.length}`,
      'students',
    );
  }
  if (usesTeacher(c.mode)) checkArch('teacher', c.teacher);
  checkNumber('seed', c.seed, { integer: true, min: 0 });
  checkNumber('epochs', c.epochs, { integer: true, min: 1 });
  if (c.teacherEpochs !== undefined) checkNumber('teacherEpochs', c.teacherEpochs, { integer: true, min: 1 });
  if (c.stepsPerEpoch !== undefined) checkNumber('stepsPerEpoch', c.stepsPerEpoch, { integer: true, min: 1 });
  checkNumber('batchSize', c.batchSize, { integer: true, min: 1 });
  checkNumber('lr', c.lr, { min: 0, exclusiveMin: true });
  checkNumber('momentum', c.momentum, { min: 0 });
  if (c.momentum >= 1) invalid('momentum', `must be < 1, got ${c.momentum}`);
  checkNumber('weightDecay', c.weightDecay, { min: 0 });
  checkNumber('temperature', c.temperature, { min: 0, exclusiveMin: true });
  checkNumber('alpha', c.alpha, { min: 0 });
  checkNumber('beta', c.beta, { min: 0 });
  checkNumber('gamma', c.gamma, { min: 0 });
}
