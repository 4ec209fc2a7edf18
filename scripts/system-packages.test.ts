import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./system-packages.sh', import.meta.url));
const ALL = ['chromium', 'libvulkan1', 'fonts-dejavu-core', 'python3-torch', 'python3-torchvision', 'python3-onnx', 'slurm-wlm', 'munge'];

/**
 * The script on a stand-in machine: a PATH holding only stand-ins for dpkg-query (answering from
 * `installed`), id (`uid`) and apt-get (recording its calls), and the few real tools it uses.
 */
function run(opts: { installed: string[]; uid: number; dpkg?: boolean }) {
  const bin = mkdtempSync(join(tmpdir(), 'syspkg-'));
  const log = join(bin, 'apt.log');
  const which = (tool: string) => execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  for (const tool of ['awk', 'sh']) symlinkSync(which(tool), join(bin, tool));
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!${which('sh')}\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  if (opts.dpkg !== false) {
    // Like dpkg-query -W: a line per known package, an error (and status 1) for unknown ones.
    stub(
      'dpkg-query',
      `shift 2; rc=0; for p in "$@"; do case " ${opts.installed.join(' ')} " in *" $p "*) echo "$p ii ";; *) echo "dpkg-query: no packages found matching $p" >&2; rc=1;; esac; done; exit $rc`,
    );
  }
  stub('id', `echo ${opts.uid}`);
  stub('apt-get', `echo "$*" >> ${log}`);
  const r = spawnSync(which('sh'), [SCRIPT], { env: { PATH: bin }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, apt: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

describe('scripts/system-packages.sh', () => {
  it('does nothing, and runs no apt-get, when every package is installed', () => {
    expect(run({ installed: ALL, uid: 1000 })).toEqual({ status: 0, stderr: '', apt: [] });
  });

  it('as root, installs exactly the missing packages after one apt-get update', () => {
    const r = run({ installed: ALL.filter((p) => p !== 'chromium' && p !== 'munge'), uid: 0 });
    expect(r.status).toBe(0);
    expect(r.apt).toEqual(['update -qq', 'install -y -qq --no-install-recommends chromium munge']);
  });

  it('without root, stops with one line naming the command that installs the missing ones', () => {
    const r = run({ installed: ['chromium', 'libvulkan1'], uid: 1000 });
    expect(r.status).toBe(1);
    expect(r.apt).toEqual([]);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const missing = ALL.slice(2).join(' ');
    expect(lines[0]).toContain(`(${missing})`);
    expect(lines[0]).toContain(`sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing}'`);
  });

  it('checks nothing off Debian', () => {
    const r = run({ installed: [], uid: 0, dpkg: false });
    expect([r.status, r.apt]).toEqual([0, []]);
    expect(r.stderr).toMatch(/not a Debian system/);
  });
});
