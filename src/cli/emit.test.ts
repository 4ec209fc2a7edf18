import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { main } from './experiment';
import { sh } from './emit';
import { tinySpec } from './testing';

const exec = promisify(execFile);

async function emit(target: string, extra: string[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-emit-'));
  await writeFile(join(dir, 'spec.json'), JSON.stringify(tinySpec({ name: "Kvasir's study", methods: ['kd', 'ml', 'kdml_offline'], seeds: [0, 1] })));
  const code = await main([
    '--emit',
    target,
    '--spec',
    join(dir, 'spec.json'),
    '--data',
    join(dir, 'my data'),
    '--out',
    join(dir, 'out'),
    '--parts',
    '3',
    ...extra,
  ]);
  expect(code).toBe(0);
  return join(dir, 'out');
}

describe('npm run experiment -- --emit', () => {
  it('writes a Slurm job array with a GPU per task, the Node/Vulkan set-up and a merge that waits for every part (afterok)', async () => {
    const out = await emit('slurm', ['--time', '1-00:00:00', '--partition', 'gpu', '--mem', '32G']);
    const job = await readFile(join(out, 'experiment.sbatch'), 'utf8');
    const merge = await readFile(join(out, 'merge.sbatch'), 'utf8');
    const submit = await readFile(join(out, 'submit.sh'), 'utf8');
    for (const line of [
      '#SBATCH --array=1-3',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --time=1-00:00:00',
      '#SBATCH --partition=gpu',
      '#SBATCH --mem=32G',
      '#SBATCH --requeue',
    ])
      expect(job).toContain(line);
    expect(job).toContain(`#SBATCH --output=${out}/logs/part-%a.out`);
    expect(job).toContain('export VK_ICD_FILENAMES="$f"');
    expect(job).toMatch(
      /exec node --import tsx src\/cli\/experiment\.ts --spec \S+ --data '[^']*my data' --out \S+\/parts\/part-"\$PART" --shard "\$PART"\/"\$PARTS" --backend webgpu --require-gpu --resume/,
    );
    // The three parts, teachers kept whole.
    expect(job).toContain('#   part 1/3: KD seed 0, KD+ML offline seed 0');
    expect(job).toContain('#   part 2/3: ML seed 0');
    expect(job).toContain('#   part 3/3: KD seed 1, ML seed 1, KD+ML offline seed 1');
    expect(merge).toContain(`merge ${out}/parts/part-1 ${out}/parts/part-2 ${out}/parts/part-3 --out ${out}`);
    expect(merge).toContain('#SBATCH --kill-on-invalid-dep=yes');
    expect(merge).not.toContain('--gres');
    expect(submit).toContain('sbatch --parsable --dependency=afterok:"$array" merge.sbatch');
    // Valid shell, and the logs folder exists before sbatch needs it.
    for (const f of ['experiment.sbatch', 'merge.sbatch']) await exec('bash', ['-n', join(out, f)]);
    await exec('sh', ['-n', join(out, 'submit.sh')]);
    expect((await stat(join(out, 'logs'))).isDirectory()).toBe(true);
  });

  it('on the CPU backend asks for no GPU and sets up no Vulkan', async () => {
    const out = await emit('slurm', ['--backend', 'cpu', '--cpus', '1']);
    const job = await readFile(join(out, 'experiment.sbatch'), 'utf8');
    expect(job).not.toContain('--gres');
    expect(job).not.toContain('VK_ICD_FILENAMES');
    expect(job).toContain('--backend cpu --resume');
    expect(job).toContain('#SBATCH --cpus-per-task=1');
  });

  it('writes the same as a Kubernetes Indexed Job and a merge Job that waits for it', async () => {
    const out = await emit('kubernetes', ['--pvc', 'lab-data', '--mem', '32G']);
    const docs = parseAllDocuments(await readFile(join(out, 'experiment.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'Job', 'Job']);
    const [parts, merge] = docs.slice(3);
    expect(parts.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const c = parts.spec.template.spec.containers[0];
    expect(c.resources.limits).toEqual({ 'nvidia.com/gpu': 1, memory: '32Gi' });
    expect(c.command[2]).toContain('PART=$((JOB_COMPLETION_INDEX + 1))');
    expect(c.command[2]).toContain('--shard "$PART"/3 --backend webgpu --require-gpu --resume');
    expect(parts.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('lab-data');
    expect(merge.spec.template.spec.initContainers[0].command).toEqual([
      'kubectl',
      'wait',
      '--for=condition=complete',
      `job/${parts.metadata.name}`,
      '--timeout=168h',
    ]);
    expect(merge.spec.template.spec.containers[0].command[2]).toContain(`merge ${out}/parts/part-1 ${out}/parts/part-2 ${out}/parts/part-3 --out ${out}`);
    expect(merge.spec.template.spec.serviceAccountName).toBe(docs[0].metadata.name);
    expect(parts.metadata.name).toBe('cohort-kvasir-s-study-parts');
  });

  it('refuses a part count the experiment cannot be split into', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-emit-'));
    await writeFile(join(dir, 'spec.json'), JSON.stringify(tinySpec({ methods: ['kd', 'kdml_offline'], seeds: [0, 1] })));
    expect(await main(['--emit', 'slurm', '--spec', join(dir, 'spec.json'), '--data', dir, '--out', join(dir, 'o'), '--parts', '3'])).toBe(2);
    expect(await main(['--emit', 'pbs', '--spec', join(dir, 'spec.json'), '--data', dir, '--out', join(dir, 'o'), '--parts', '2'])).toBe(2);
  });

  it('quotes shell words', () => {
    expect(sh('/a/b-c_1.json')).toBe('/a/b-c_1.json');
    expect(sh("it's here")).toBe(`'it'\\''s here'`);
  });
});
