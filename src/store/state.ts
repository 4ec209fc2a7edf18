/**
 * The shape of the studio store: each slice's state and commands, the whole state, what the store
 * needs from outside (`StudioDeps`), and the signature of a slice. The slices (`slices/`) implement
 * these; panels read them.
 *
 * Owns: types (and the list of screens). Imports core, data and experiment types and worker types.
 */
import type * as Comlink from 'comlink';
import type { ErrorInfo } from '../core/errors';
import type { ExperimentResult } from '../core/results';
import type { StudioEvent } from '../core/events';
import type { ExperimentSpec } from '../core/spec';
import type { WeightsSource } from '../core/weights';
import type { FileWithPath } from '../data/inputFiles';
import type { DatasetSummary } from '../data/summary';
import type { ImportProgress, Layout, ResizeMode } from '../data/types';
import type { ExperimentEstimate } from '../experiment/estimate';
import type { JournalEntry } from '../experiment/journal';
import type { KeptExperiment } from '../worker/library';
import type { PlannerApi } from '../worker/planner.worker';
import type { BackendReport, StorageReport, StorageSupport } from '../worker/protocol';
import type { StudioApi } from '../worker/studio.worker';
import type { CurveView } from './curves';
import type { Progress } from './progress';

type Remote = Comlink.Remote<StudioApi>;

/** What the store needs from outside: the workers, the browser's storage and a confirm dialog. History lives in the studio worker. */
export interface StudioDeps {
  studio(): Comlink.Remote<StudioApi>;
  /** End the studio worker (its GPU device, datasets and models go with it) and start a fresh one. */
  restartStudio(): Comlink.Remote<StudioApi>;
  planner(): Comlink.Remote<PlannerApi>;
  /** Wrap a callback so the worker can call it (comlink's `proxy`). */
  proxy<T extends object>(fn: T): T;
  /** Where the last opened folder's handle is remembered (IndexedDB in the browser). */
  folders: { save(handle: FileSystemDirectoryHandle): Promise<void>; load(): Promise<FileSystemDirectoryHandle | null> };
  confirm(message: string): boolean;
  /** Ask the browser not to evict this origin's storage. */
  persistStorage(): void;
  /** The engine's fast WebGPU kernels (`?kernels=stock` turns them off). */
  fastKernels: boolean;
  /** The training step recorded once and replayed (`?replay=off` turns it off); on when absent. */
  replay?: boolean;
  /** Small settings kept in this browser (localStorage); absent: kept for the session only. */
  prefs?: { get(key: string): string | null; set(key: string, value: string): void };
}

// Backend.
export const TABS = ['Data', 'Configure', 'Train', 'Compare', 'Inspect', 'Export', 'History'] as const;

export type Tab = (typeof TABS)[number];

export interface BackendSlice {
  backend: BackendReport | null;
  backendError: ErrorInfo | null;
  /** What this browser gives the studio's storage (a banner says what will not survive a reload). */
  storageSupport: StorageSupport | null;
  tab: Tab;
  setTab(tab: Tab): void;
  /** The tab a key moves to from the selected one (the WAI-ARIA tabs pattern: arrows wrap, Home, End), selected. */
  stepTab(key: 'next' | 'previous' | 'first' | 'last'): Tab;
  /** Start the worker's backend, then look for an interrupted experiment. */
  init(): Promise<void>;
}

// Data.
export interface ImportSettings {
  /** Images are stored at this size (px). */
  inputSize: number;
  resize: ResizeMode;
  /** Stratified subset of this many images; null: all. */
  subset: number | null;
  seed: number;
  valShare: number;
  /** Where groups come from: 'auto' (TCGA barcodes, a groups CSV in the folder), 'none', or `groupsCsv`. */
  groups?: 'auto' | 'none' | 'csv';
  /** The `file,group` CSV the user added (name and text). */
  groupsCsv?: { name: string; text: string } | null;
  /** With groups: whole groups per set (default), or images one by one (it leaks). */
  splitBy?: 'group' | 'image';
}

export interface DataSlice {
  dataset: DatasetSummary | null;
  importing: ImportProgress | null;
  importError: ErrorInfo | null;
  importSettings: ImportSettings;
  /** The folder last opened through the File System Access API, for a re-grant after a reload. */
  savedFolder: FileSystemDirectoryHandle | null;
  rememberFolder(handle: FileSystemDirectoryHandle): Promise<void>;
  loadRememberedFolder(): Promise<void>;
  /** Change the import settings; a change of groups or split of an imported folder imports it again. */
  setImportSettings(p: Partial<ImportSettings>): void;
  importFiles(files: FileWithPath[]): Promise<void>;
  importDirectory(handle: FileSystemDirectoryHandle): Promise<void>;
  /** Import the last folder again, read as `layout`. */
  reimport(layout: Layout): Promise<void>;
  loadSample(task: 'classify' | 'box'): Promise<void>;
  cancelImport(): void;
}

// Configure.
export interface ConfigureSlice {
  spec: ExperimentSpec;
  preset: string;
  estimate: ExperimentEstimate | null;
  /** After a failed run (a NaN loss): go on with the next run, or stop and wait. */
  onRunError: 'continue' | 'stop';
  /** Checkpoint every this many steps as well as at every epoch's end (0: epochs only). */
  checkpointEverySteps: number;
  setSpec(update: (s: ExperimentSpec) => ExperimentSpec): void;
  applyPreset(id: string): void;
  /** Read a saved spec; returns the problem, or null when it was loaded. */
  loadSpecText(text: string): string | null;
  setTrainingOptions(p: Partial<Pick<ConfigureSlice, 'onRunError' | 'checkpointEverySteps'>>): void;
  /** Count the spec's parameters in the planner worker (on the CPU, never the GPU). */
  refreshEstimate(): Promise<void>;
}

// Initial weights.
/** A network of the spec: 'teacher' or 'students[k]' (the spec field without `.weights`). */
export type WeightsSlot = 'teacher' | `students[${number}]`;

export interface WeightsCheck {
  /** The picked file's name (as the spec names it once it is kept). */
  file: string;
  /** The network it was checked against. */
  arch: string;
  width: number;
  status: 'checking' | 'ok' | 'error';
  /** What loading it does (tensors, the head re-initialised or not). */
  source?: WeightsSource;
  error?: ErrorInfo;
}

export interface WeightsSlice {
  /** The last pick per network, by slot. */
  weightsChecks: Record<string, WeightsCheck>;
  /** Check a weights file against the network (planner, CPU), keep it (studio worker), name it in the spec. */
  pickWeights(slot: WeightsSlot, file: File): Promise<void>;
  /** Back to random (seeded) initial weights. */
  clearWeights(slot: WeightsSlot): void;
}

// Experiment.
export interface ExperimentSlice extends Progress {
  /** An experiment a reload, crash or lost GPU interrupted, offered for an explicit Resume. */
  interrupted: JournalEntry | null;
  /** What to do before the interrupted experiment can resume (load its dataset again). */
  resumeNote: string | null;
  /** Another tab of this browser trains (its journal's experiment, once written): this tab may not start, resume, discard or delete. */
  elsewhere: { experiment: JournalEntry | null } | null;
  train(): Promise<void>;
  resume(): Promise<void>;
  restartAndResume(): Promise<void>;
  pause(): void;
  unpause(): void;
  cancel(): void;
  discardInterrupted(): Promise<void>;
  /** Look again for an interrupted experiment and for training in another tab (and wait for that tab to finish). */
  refreshInterrupted(): Promise<void>;
  /** The tab is being hidden: checkpoint the run in progress after its next step. */
  flushCheckpoint(): void;
  onEvent(e: StudioEvent): void;
  /** Apply buffered step events now. */
  flushSteps(): void;
}

// History.
export interface HistorySlice {
  history: KeptExperiment[];
  historyError: string | null;
  storage: StorageReport | null;
  loadHistory(): Promise<void>;
  /** Delete a kept experiment and free its storage (refused while another tab trains). */
  deleteHistory(id: string): Promise<void>;
  /** Show a kept experiment in Compare, Inspect and Export (not while one runs). */
  openExperiment(id: string): Promise<void>;
  refreshStorage(): Promise<void>;
  deleteCheckpoints(): Promise<void>;
}

// Results.
export type Inspection = NonNullable<Awaited<ReturnType<Remote['inspect']>>>;
export type RunPredictions = NonNullable<Awaited<ReturnType<Remote['predictions']>>>;
export type Saliency = Awaited<ReturnType<Remote['gradCam']>>;
export type SaliencyTarget = NonNullable<Parameters<Remote['gradCam']>[3]>;

export interface ResultsSlice {
  /** The finished run shown in Inspect: its first test images with every prediction. */
  inspection: { key: string; data: Inspection | null } | null;
  /** The finished run picked in Compare: all its test predictions (ROC curves). */
  predictions: { key: string; data: RunPredictions | null } | null;
  /** Grad-CAM maps of some test images of a finished run (Inspect), the latest request only. */
  saliency: { key: string; request: string; data: Saliency | null; error: ErrorInfo | null } | null;
  loadInspection(key: string): Promise<void>;
  loadSaliency(key: string, indices: number[], target: SaliencyTarget): Promise<void>;
  loadPredictions(key: string): Promise<void>;
  /** Export a finished run of the experiment shown. */
  exportRun(key: string, includeTeacher: boolean): ReturnType<Remote['exportRun']>;
  /** The user's file, handed to the worker unread: it checks the size and reads only what it needs. */
  openBundle(file: Blob): ReturnType<Remote['openBundle']>;
  predictFiles(files: FileWithPath[]): ReturnType<Remote['predictFiles']>;
  /** A results.json opened from disk (a command line run, a merged cluster experiment), shown in Compare. */
  openedResults: { name: string; result: ExperimentResult } | null;
  /** Why the last results.json could not be opened (INVALID_RESULTS, naming the field). */
  openResultsError: ErrorInfo | null;
  /** Read a results.json into Compare; false when it cannot be read (`openResultsError` says why). */
  openResults(text: string, name: string): boolean;
  /** Back to the studio's own experiment in Compare. */
  closeResults(): void;
}

// Curves (Compare).
export interface CurvesSlice {
  curveView: CurveView;
  setCurveView(p: Partial<CurveView>): void;
  /** Every logged value of the experiment's runs (`curves.ts`). */
  curvesCsv(): string;
}

// Appearance and the page as a tool.
export type ThemePreference = 'system' | 'light' | 'dark';

export interface AppearanceSlice {
  theme: ThemePreference;
  setTheme(theme: ThemePreference): void;
  /** The service worker's state: whether the studio is stored for offline use, and whether the browser is online. */
  offline: { ready: boolean; online: boolean; error: string | null };
  setOffline(p: Partial<AppearanceSlice['offline']>): void;
}

// The spec as a link.
export interface LinkSlice {
  /** Why the spec of the link the studio was opened with could not be used. */
  linkError: ErrorInfo | null;
  /** Read the spec a URL fragment carries into Configure; false (and `linkError`) when it cannot be used. */
  openSpecLink(hash: string): boolean;
  /** The URL fragment that carries the current spec. */
  specLinkHash(): string;
}

export type StudioState = BackendSlice &
  DataSlice &
  ConfigureSlice &
  WeightsSlice &
  ExperimentSlice &
  HistorySlice &
  ResultsSlice &
  CurvesSlice &
  AppearanceSlice &
  LinkSlice;

export type SetState = (p: Partial<StudioState>) => void;
export type GetState = () => StudioState;

/** A slice: its initial state and commands, given the store's set/get and the dependencies. */
export type Slice<T> = (set: SetState, get: GetState, deps: StudioDeps) => T;
