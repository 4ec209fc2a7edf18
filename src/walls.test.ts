/**
 * The walls between the rooms (.dependency-cruiser.cjs, .dependency-cruiser-page.cjs) catch what
 * they are for: run on small generated projects laid out like this one, a cycle, an upward import
 * and a path from the page to TensorFlow.js each fail the check, and a clean project passes.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-walls-'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'bundler', jsx: 'react-jsx', strict: true } }),
  );
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

async function check(dir: string, config: string, target: string): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout } = await run(DEPCRUISE, [target, '--config', join(ROOT, config)], { cwd: dir });
    return { ok: true, out: stdout };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const clean = {
  'src/core/config.ts': 'export const MODES = ["kd"];\n',
  'src/engine/trainer.ts': 'import { MODES } from "../core/config";\nexport const modes = MODES;\n',
  'src/store/studio.ts': 'import type { modes } from "../engine/trainer";\nexport type M = typeof modes;\nexport const store = 1;\n',
  'src/ui/App.tsx': 'import { store } from "../store/studio";\nexport const App = () => store;\n',
  'src/main.tsx': 'import { App } from "./ui/App";\nApp();\n',
};

describe('the walls between the rooms', () => {
  it('a project that keeps to them passes both checks', async () => {
    const dir = await project(clean);
    expect((await check(dir, '.dependency-cruiser.cjs', 'src')).ok).toBe(true);
    expect((await check(dir, '.dependency-cruiser-page.cjs', 'src/main.tsx')).ok).toBe(true);
  }, 60_000);

  it('an import cycle fails, type-only imports included', async () => {
    const dir = await project({
      ...clean,
      'src/core/a.ts': 'import type { B } from "./b";\nexport interface A { b?: B }\n',
      'src/core/b.ts': 'import type { A } from "./a";\nexport interface B { a?: A }\n',
    });
    const r = await check(dir, '.dependency-cruiser.cjs', 'src');
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/no-cycle: src\/core\/(a|b)\.ts/);
  }, 60_000);

  it('an import from a lower room to a higher one fails', async () => {
    const dir = await project({ ...clean, 'src/engine/trainer.ts': 'import { store } from "../store/studio";\nexport const modes = [store];\n' });
    const r = await check(dir, '.dependency-cruiser.cjs', 'src');
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/no-upward-engine: src\/engine\/trainer\.ts → src\/store\/studio\.ts/);
  }, 60_000);

  it('a path from the page to TensorFlow.js fails; a type-only one does not count', async () => {
    const dir = await project({
      ...clean,
      'src/engine/trainer.ts': 'import * as tf from "@tensorflow/tfjs";\nexport const modes = [tf.version];\n',
      'src/store/studio.ts': 'import { modes } from "../engine/trainer";\nexport const store = modes;\n',
    });
    const r = await check(dir, '.dependency-cruiser-page.cjs', 'src/main.tsx');
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/page-without-tfjs/);
    const typeOnly = await project({ ...clean, 'src/engine/trainer.ts': 'import * as tf from "@tensorflow/tfjs";\nexport const modes = [tf.version];\n' });
    expect((await check(typeOnly, '.dependency-cruiser-page.cjs', 'src/main.tsx')).ok).toBe(true);
  }, 60_000);
});
