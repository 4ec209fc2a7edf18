/**
 * `npm run experiment -- --emit slurm|kubernetes …`: the files that run an experiment as n parts
 * on a cluster and merge them into one table.
 *
 * Slurm: `experiment.sbatch` (a job array, one task per part, a GPU per task, the Node.js and
 * Vulkan set-up of a compute node, the WebGPU backend through Dawn), `merge.sbatch` (the merge of
 * every part into results.json, table.csv and table.md) and `submit.sh`, which submits the array
 * and then the merge with `--dependency=afterok:<array>`, so the merge starts only once every part
 * has succeeded. Every task runs with `--resume`: a task that was stopped (time limit, preemption,
 * a failed node) and is submitted again continues from its checkpoints.
 *
 * Kubernetes: the same as one manifest: an Indexed Job (one pod per part, a GPU each) and a merge
 * Job whose init container waits for the Indexed Job to complete, over one shared volume.
 *
 * Owns: the emitted files' text. Node only; imports core and experiment (the partition), never
 * TensorFlow.js.
 */
import { stringify } from 'yaml';
import type { ExperimentSpec } from '../core/spec';
import { partitionRuns, runLabel, type PartPlan } from '../experiment/shards';

export interface EmitOptions {
  spec: ExperimentSpec;
  /** Absolute paths as the cluster's nodes see them. */
  project: string;
  specPath: string;
  data: string;
  out: string;
  parts: number;
  backend: 'cpu' | 'webgpu';
  /** GPUs per task (0 with the CPU backend). */
  gpus: number;
  cpus: number;
  /** Memory per task in Slurm's notation (e.g. 32G); absent: the partition's default. */
  mem?: string;
  /** Time limit per task in Slurm's notation (e.g. 2-00:00:00); absent: the partition's default. */
  time?: string;
  partition?: string;
  account?: string;
  /** Kubernetes: the pods' image, the claim of the shared volume and where it is mounted. */
  image: string;
  pvc: string;
  mount: string;
  kubectlImage: string;
  /** The command line that made the files, for their header. */
  command: string;
}

/** A name for jobs: the spec's name in lower case letters, digits and dashes. */
export function jobName(spec: ExperimentSpec): string {
  const slug = spec.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `cohort-${slug || 'experiment'}`;
}

/** A word for the shell, in single quotes where it needs them. */
export function sh(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Where each part writes its results and checkpoints. */
export const partDir = (out: string, i: number): string => `${out}/parts/part-${i}`;

function partList(plans: PartPlan[]): string[] {
  return plans.map((p) => `#   part ${p.index}/${p.count}: ${p.runs.map(runLabel).join(', ')}`);
}

/** Checks a compute node needs: Node.js 20+ and, for WebGPU, the Vulkan loader and a GPU driver. */
function nodeSetup(backend: 'cpu' | 'webgpu'): string[] {
  const lines = [
    '# Node.js 20 or newer: on PATH, or from the environment modules of the cluster.',
    'if ! command -v node >/dev/null 2>&1 && command -v module >/dev/null 2>&1; then module load nodejs 2>/dev/null || module load node 2>/dev/null || true; fi',
    'command -v node >/dev/null 2>&1 || { echo "Node.js is not on PATH on $(hostname): load or install Node.js 20+" >&2; exit 1; }',
    `node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || { echo "Node.js $(node -v) on $(hostname) is too old: 20+ is needed" >&2; exit 1; }`,
  ];
  if (backend === 'webgpu') {
    lines.push(
      '',
      "# WebGPU through Dawn (the `webgpu` package) runs on the GPU's Vulkan driver: it needs the Vulkan",
      "# loader (libvulkan.so.1, Debian/Ubuntu libvulkan1, RHEL vulkan-loader) and the driver's ICD file.",
      'if ! { /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null; } | grep -q "libvulkan\\.so\\.1"; then',
      '  echo "warning: libvulkan.so.1 (the Vulkan loader) is not in the linker cache of $(hostname); it must come from LD_LIBRARY_PATH" >&2',
      'fi',
      "# Point the loader at NVIDIA's driver, so a software Vulkan (lavapipe, SwiftShader) is never picked.",
      'if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then',
      '  for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do',
      '    if [ -e "$f" ]; then export VK_ICD_FILENAMES="$f"; break; fi',
      '  done',
      'fi',
      '# Vulkan ignores CUDA_VISIBLE_DEVICES: each task sees only its own GPU where Slurm constrains devices',
      '# (ConstrainDevices=yes in cgroup.conf, the usual set-up of GPU partitions).',
    );
  }
  return lines;
}

/**
 * The command line in one process: `node --import tsx`, not the `tsx` launcher, which relays a
 * signal to its child and kills the child outright when it does not answer within a few tens of
 * milliseconds (a busy training step), so a time limit's SIGTERM could not be turned into a checkpoint.
 */
const RUNNER = ['node', '--import', 'tsx', 'src/cli/experiment.ts'];

function partCommand(o: EmitOptions, part: string, parts: string): string {
  return [
    ...RUNNER,
    '--spec',
    sh(o.specPath),
    '--data',
    sh(o.data),
    '--out',
    `${sh(`${o.out}/parts/part-`)}${part}`,
    '--shard',
    `${part}/${parts}`,
    '--backend',
    o.backend,
    ...(o.backend === 'webgpu' && o.gpus > 0 ? ['--require-gpu'] : []),
    '--resume',
    '--quiet',
  ].join(' ');
}

function mergeCommand(o: EmitOptions): string {
  const dirs = Array.from({ length: o.parts }, (_, i) => sh(partDir(o.out, i + 1)));
  return [...RUNNER, 'merge', ...dirs, '--out', sh(o.out)].join(' ');
}

/** The Slurm files: experiment.sbatch, merge.sbatch and submit.sh. */
export function slurmFiles(o: EmitOptions): Record<'experiment.sbatch' | 'merge.sbatch' | 'submit.sh', string> {
  const plans = partitionRuns(o.spec, o.parts);
  const name = jobName(o.spec);
  const opt = (k: string, v: string | number | undefined) => (v === undefined || v === '' ? [] : [`#SBATCH --${k}=${v}`]);
  const header = (what: string) => ['#!/bin/bash', `# Cohort Studio: "${o.spec.name}", ${what}.`, `# Made by: ${o.command}`];
  const experiment = [
    ...header(`${o.parts} part${o.parts === 1 ? '' : 's'} as a Slurm job array (one task per part)`),
    '# Submit with `sh submit.sh` (this array, then merge.sbatch once every part has succeeded).',
    '# A task that stopped (time limit, preemption, a failed node, exit code 130) or finished with a failed',
    '# run (exit code 3) keeps the merge from starting. Submit the part again and it continues from its',
    '# checkpoints: sbatch --array=<part> experiment.sbatch; then merge: sbatch merge.sbatch',
    ...partList(plans),
    `#SBATCH --job-name=${name}`,
    `#SBATCH --array=1-${o.parts}`,
    '#SBATCH --ntasks=1',
    ...opt('cpus-per-task', o.cpus),
    ...(o.gpus > 0 ? [`#SBATCH --gres=gpu:${o.gpus}`] : []),
    ...opt('mem', o.mem),
    ...opt('time', o.time),
    ...opt('partition', o.partition),
    ...opt('account', o.account),
    `#SBATCH --output=${o.out}/logs/part-%a.out`,
    '#SBATCH --requeue',
    '# SIGTERM two minutes before the time limit: the part checkpoints the run in progress and stops.',
    '#SBATCH --signal=B:TERM@120',
    'set -euo pipefail',
    `PROJECT=${sh(o.project)}`,
    `PARTS=${o.parts}`,
    'PART=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}',
    '',
    ...nodeSetup(o.backend),
    '',
    'cd "$PROJECT"',
    'echo "part $PART/$PARTS on $(hostname), job ${SLURM_ARRAY_JOB_ID:-?}_${PART}"',
    `exec ${partCommand(o, '"$PART"', '"$PARTS"')}`,
    '',
  ].join('\n');
  const merge = [
    ...header(`the merge of its ${o.parts} parts into results.json, table.csv and table.md`),
    '# Submitted by submit.sh with --dependency=afterok on the array: it starts once every part succeeded.',
    `#SBATCH --job-name=${name}-merge`,
    '#SBATCH --ntasks=1',
    '#SBATCH --cpus-per-task=1',
    ...opt('partition', o.partition),
    ...opt('account', o.account),
    '#SBATCH --time=00:30:00',
    `#SBATCH --output=${o.out}/logs/merge.out`,
    '# A part that failed leaves this job pending for ever without it: it is cancelled instead.',
    '#SBATCH --kill-on-invalid-dep=yes',
    'set -euo pipefail',
    `PROJECT=${sh(o.project)}`,
    '',
    ...nodeSetup('cpu'),
    '',
    'cd "$PROJECT"',
    `exec ${mergeCommand(o)}`,
    '',
  ].join('\n');
  const submit = [
    '#!/bin/sh',
    `# Cohort Studio: submit "${o.spec.name}" (${o.parts} parts, then their merge).`,
    `# Made by: ${o.command}`,
    'set -eu',
    'cd "$(dirname "$0")"',
    `mkdir -p ${sh(`${o.out}/logs`)}`,
    'array=$(sbatch --parsable experiment.sbatch)',
    'array=${array%%;*}',
    'merge=$(sbatch --parsable --dependency=afterok:"$array" merge.sbatch)',
    'merge=${merge%%;*}',
    `echo "parts: job $array (array 1-${o.parts}); merge: job $merge, once every part has succeeded"`,
    `echo "the table will be in ${o.out}/table.md; follow the parts in ${o.out}/logs/"`,
    '',
  ].join('\n');
  return { 'experiment.sbatch': experiment, 'merge.sbatch': merge, 'submit.sh': submit };
}

/** The Kubernetes manifest: an Indexed Job of the parts and a merge Job that waits for it. */
export function kubernetesManifest(o: EmitOptions): string {
  const plans = partitionRuns(o.spec, o.parts);
  const name = jobName(o.spec);
  const volume = { name: 'work', persistentVolumeClaim: { claimName: o.pvc } };
  const mount = { name: 'work', mountPath: o.mount };
  const setup = [
    'set -euo pipefail',
    ...(o.backend === 'webgpu'
      ? [
          '# Dawn needs the Vulkan loader; the NVIDIA container toolkit mounts the driver (graphics capability).',
          'if ! ldconfig -p | grep -q "libvulkan\\.so\\.1"; then apt-get update -qq && apt-get install -y -qq --no-install-recommends libvulkan1 >/dev/null; fi',
        ]
      : []),
    `cd ${sh(o.project)}`,
  ];
  const parts = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${name}-parts`, labels: { app: name } },
    spec: {
      completionMode: 'Indexed',
      completions: o.parts,
      parallelism: o.parts,
      // A pod that fails is started again, and continues from its checkpoints (--resume).
      backoffLimit: 3 * o.parts,
      template: {
        metadata: { labels: { app: name, role: 'part' } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'part',
              image: o.image,
              command: ['bash', '-c', [...setup, 'PART=$((JOB_COMPLETION_INDEX + 1))', `exec ${partCommand(o, '"$PART"', String(o.parts))}`].join('\n')],
              env: o.backend === 'webgpu' ? [{ name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'compute,utility,graphics' }] : [],
              resources: {
                requests: { cpu: String(o.cpus), ...(o.mem ? { memory: k8sMemory(o.mem) } : {}) },
                limits: { ...(o.gpus > 0 ? { 'nvidia.com/gpu': o.gpus } : {}), ...(o.mem ? { memory: k8sMemory(o.mem) } : {}) },
              },
              volumeMounts: [mount],
            },
          ],
          volumes: [volume],
        },
      },
    },
  };
  const rbac = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `${name}-merge` } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: `${name}-merge` },
      rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${name}-merge` },
      subjects: [{ kind: 'ServiceAccount', name: `${name}-merge` }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-merge` },
    },
  ];
  const merge = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${name}-merge`, labels: { app: name } },
    spec: {
      backoffLimit: 1,
      template: {
        metadata: { labels: { app: name, role: 'merge' } },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: `${name}-merge`,
          initContainers: [
            {
              // The merge waits until every part has succeeded (Slurm's afterok).
              name: 'wait-for-parts',
              image: o.kubectlImage,
              command: ['kubectl', 'wait', '--for=condition=complete', `job/${name}-parts`, '--timeout=168h'],
            },
          ],
          containers: [
            {
              name: 'merge',
              image: o.image,
              command: ['bash', '-c', ['set -euo pipefail', `cd ${sh(o.project)}`, `exec ${mergeCommand(o)}`].join('\n')],
              volumeMounts: [mount],
            },
          ],
          volumes: [volume],
        },
      },
    },
  };
  const head = [
    `# Cohort Studio: "${o.spec.name}", ${o.parts} parts as a Kubernetes Indexed Job and their merge.`,
    `# Made by: ${o.command}`,
    `# The project (with node_modules), the spec, the data and the output are on the volume of the claim`,
    `# "${o.pvc}", mounted at ${o.mount} in every pod. Apply with: kubectl apply -f experiment.k8s.yaml`,
    '# A failed pod is started again and continues from its checkpoints; the merge Job waits for the',
    '# parts Job to complete, then writes results.json, table.csv and table.md.',
    ...partList(plans),
  ];
  return `${head.join('\n')}\n${[...rbac, parts, merge].map((d) => stringify(d, { lineWidth: 0 })).join('---\n')}`;
}

/** Slurm's 32G / 4000M as Kubernetes quantities (32Gi / 4000Mi). */
function k8sMemory(mem: string): string {
  const m = /^(\d+)([KMGT]?)$/i.exec(mem.trim());
  if (!m) return mem;
  return m[2] ? `${m[1]}${m[2].toUpperCase()}i` : `${m[1]}Mi`;
}
