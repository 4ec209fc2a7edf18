/**
 * A one-node Slurm cluster on this machine, for the tests of the emitted job scripts: a munge key
 * and munged on a socket of its own, a generated slurm.conf on free ports (the node is this host,
 * reached on 127.0.0.1), slurmctld and slurmd in the foreground as children of the test. Nothing is
 * shared with a Slurm or munge the machine may already run. `stop()` cancels what is still queued
 * and ends exactly the processes it started, by their process ids.
 *
 * `startLocalSlurm` throws `SlurmUnavailable` saying exactly what refused (not root, a program
 * missing, a daemon that exited, a node that never came up), so a test can skip by name.
 *
 * Owns: the local cluster's set-up. Node only; used by tests alone.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname, cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export class SlurmUnavailable extends Error {}

export interface LocalSlurm {
  /** The environment that points Slurm's commands (sbatch, squeue, scontrol) at this cluster. */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** A job's state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT…) and reason. */
  jobState(id: string): Promise<{ state: string; reason: string; exitCode: string }[]>;
  stop(): Promise<void>;
}

const PROGRAMS = ['munged', 'munge', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'];

async function which(p: string): Promise<string | null> {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) if (d && existsSync(join(d, p))) return join(d, p);
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tail(path: string, lines = 15): Promise<string> {
  const t = await readFile(path, 'utf8').catch(() => '');
  return t.trim().split('\n').slice(-lines).join('\n');
}

/** Start munged, slurmctld and slurmd in `dir` (an empty scratch folder). */
export async function startLocalSlurm(dir: string): Promise<LocalSlurm> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new SlurmUnavailable(`slurmd must run as root to start jobs as their user; this test runs as uid ${process.getuid()}`);
  const paths: Record<string, string> = {};
  const missing: string[] = [];
  for (const p of PROGRAMS) {
    const at = await which(p);
    if (at) paths[p] = at;
    else missing.push(p);
  }
  if (missing.length) throw new SlurmUnavailable(`not installed: ${missing.join(', ')} (Debian: apt-get install slurm-wlm munge)`);

  for (const d of ['munge', 'state', 'spool', 'log']) await mkdir(join(dir, d), { recursive: true });
  // munged refuses a socket folder others cannot traverse, and a key others can read.
  await chmod(dir, 0o755);
  const key = join(dir, 'munge', 'munge.key');
  await writeFile(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'munge.socket');
  const mungePid = join(dir, 'munge', 'munged.pid');
  try {
    await exec(paths.munged, [
      '--force',
      `--socket=${socket}`,
      `--key-file=${key}`,
      `--pid-file=${mungePid}`,
      `--log-file=${join(dir, 'log', 'munged.log')}`,
      `--seed-file=${join(dir, 'munge', 'munged.seed')}`,
    ]);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new SlurmUnavailable(`munged refused to start: ${(err.stderr || err.message).trim()} ${await tail(join(dir, 'log', 'munged.log'), 5)}`);
  }
  const munged = Number((await readFile(mungePid, 'utf8')).trim());
  const children: ChildProcess[] = [];
  const stopDaemons = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await Promise.race([new Promise((r) => c.once('exit', r)), sleep(10_000)]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    try {
      process.kill(munged, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };

  try {
    const host = hostname();
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    const conf = join(dir, 'slurm.conf');
    await writeFile(
      conf,
      [
        'ClusterName=cohorttest',
        `SlurmctldHost=${host}(127.0.0.1)`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${socket}`,
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
        `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'ReturnToService=2',
        'MpiDefault=none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        // Finished jobs stay visible to scontrol long enough to read their state.
        'MinJobAge=3600',
        'KillWait=5',
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${dPort}`,
        `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus().length} State=UNKNOWN`,
        `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    const env = { ...process.env, SLURM_CONF: conf };
    const start = (program: string, args: string[], log: string) => {
      const c = spawn(paths[program], args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout!.on('data', (d) => (out = (out + d).slice(-4000)));
      c.stderr!.on('data', (d) => (out = (out + d).slice(-4000)));
      c.on('exit', () => void writeFile(join(dir, 'log', log), out).catch(() => {}));
      children.push(c);
      return { child: c, output: () => out };
    };
    const ctld = start('slurmctld', ['-D', '-f', conf], 'slurmctld.out');
    const d = start('slurmd', ['-D', '-f', conf, '-N', host], 'slurmd.out');
    // Up when the node reports idle.
    const deadline = Date.now() + 60_000;
    for (;;) {
      for (const [name, p] of [
        ['slurmctld', ctld],
        ['slurmd', d],
      ] as const)
        if (p.child.exitCode !== null || p.child.signalCode !== null)
          throw new SlurmUnavailable(`${name} exited (${p.child.exitCode ?? p.child.signalCode}): ${p.output().trim().split('\n').slice(-8).join(' | ')}`);
      const info = await exec(paths.sinfo, ['-h', '-o', '%T'], { env }).then(
        (r) => r.stdout.trim(),
        (e: { stderr?: string }) => `error: ${e.stderr?.trim()}`,
      );
      if (info === 'idle') break;
      if (Date.now() > deadline)
        throw new SlurmUnavailable(
          `the node never came up (sinfo: ${info}); slurmctld: ${await tail(join(dir, 'log', 'slurmctld.log'), 5)} slurmd: ${await tail(join(dir, 'log', 'slurmd.log'), 5)}`,
        );
      await sleep(500);
    }
    return {
      env,
      dir,
      jobState: async (id) => {
        const { stdout } = await exec(paths.scontrol, ['show', 'job', id, '-o'], { env });
        return stdout
          .trim()
          .split('\n')
          .map((line) => ({
            state: /JobState=(\S+)/.exec(line)?.[1] ?? '?',
            reason: /Reason=(\S+)/.exec(line)?.[1] ?? '?',
            exitCode: /ExitCode=(\S+)/.exec(line)?.[1] ?? '?',
          }));
      },
      stop: async () => {
        // Jobs first (their processes are not children of this test), then the daemons.
        await exec(paths.scancel, ['--full', '--user=root'], { env }).catch(() => {});
        const until = Date.now() + 30_000;
        while (Date.now() < until) {
          const q = await exec(paths.squeue, ['-h'], { env }).then(
            (r) => r.stdout.trim(),
            () => '',
          );
          if (!q) break;
          await sleep(500);
        }
        await stopDaemons();
      },
    };
  } catch (e) {
    await stopDaemons();
    throw e;
  }
}
