#!/usr/bin/env node
// The project's own Python environments (git-ignored): .venv, PyTorch at the version the
// default build links (scripts/requirements.txt), so that the addon, the parity suite and the
// benches run on one libtorch, the one PyTorch users have, with Hugging Face's libraries where
// the package index has them (scripts/requirements-hf.txt, for test/hf); and .venv-cuda, PyTorch's CUDA build
// (scripts/requirements-cuda.txt), which CI builds the addon against. `npm run setup` calls
// ensureProjectPython(); run directly (`--cuda` for the second), this script makes or updates
// the environment and prints its Python.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_VENV } from './libtorch.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * The environments: where, from which requirements, and pip's flags. The CUDA build's file
 * lists every package it needs and installs them without resolving dependencies: the wheel also
 * asks for Python-only packages (cuda-bindings, triton) that libtorch does not load and a local
 * package index may not have.
 */
export const ENVIRONMENTS = {
  default: { venv: PROJECT_VENV, requirements: join(root, 'scripts', 'requirements.txt'), optional: join(root, 'scripts', 'requirements-hf.txt'), flags: [] },
  cuda: { venv: join(root, '.venv-cuda'), requirements: join(root, 'scripts', 'requirements-cuda.txt'), flags: ['--no-deps'] },
};

/**
 * pip's environment for an install: where pip is configured with local package indexes (file:
 * URLs, a mirror on this disk), it is pointed at those alone. Otherwise pip first asks its
 * default public index for every package, and where that is unreachable it retries each one
 * until its timeout (a venv with transformers took 5 min 38 s that way, 1 min 20 s without).
 */
export function pipEnvironment(python = 'python3') {
  const listed = spawnSync(python, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
  const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  if (listed.status !== 0 || process.env.PIP_INDEX_URL) return env;
  const primary = [];
  const extra = [];
  for (const line of listed.stdout.split('\n')) {
    const match = line.match(/\.(extra-)?index-url='(.*)'$/);
    if (match) (match[1] ? extra : primary).push(...match[2].split(/\s+/).filter(Boolean));
  }
  const local = [...primary, ...extra].filter((url) => url.startsWith('file:'));
  // A public index chosen as the primary one (index-url) is the user's choice: left alone.
  if (local.length === 0 || primary.some((url) => !url.startsWith('file:'))) return env;
  env.PIP_INDEX_URL = local[0];
  env.PIP_EXTRA_INDEX_URL = local.slice(1).join(' ');
  return env;
}

/**
 * Where the set-up writes why the optional requirements (Hugging Face's libraries) are missing
 * from an environment; absent when they were installed. test/hf's tests read it to say why they skip.
 */
export const optionalMissing = (venv) => join(venv, 'torchlora-optional-missing.txt');

/**
 * Makes an environment and installs its requirements, unless it was made from the same files
 * already; its Python. The optional requirements are installed after the others; where pip
 * cannot install them (a package index without them), the environment is kept without them
 * and optionalMissing(venv) says why.
 */
export function ensureProjectPython(say = (message) => process.stderr.write(`[python] ${message}\n`), which = ENVIRONMENTS.default) {
  const { venv, requirements, optional, flags } = which;
  const python = join(venv, 'bin', 'python');
  // What the environment was last made from: a copy of the requirements, written after pip succeeded.
  const madeFrom = join(venv, 'torchlora-requirements.txt');
  const wanted = [requirements, optional].filter(Boolean).map((file) => readFileSync(file, 'utf8')).join('');
  if (existsSync(python) && existsSync(madeFrom) && readFileSync(madeFrom, 'utf8') === wanted) return python;
  const base = process.env.TORCHLORA_BASE_PYTHON ?? 'python3';
  const name = relative(root, venv);
  if (!existsSync(python)) {
    say(`making the project's Python environment (${base} -m venv ${name})`);
    const made = spawnSync(base, ['-m', 'venv', venv], { stdio: [0, 2, 2] });
    if (made.error || made.status !== 0) {
      throw new Error(`${base} -m venv ${name} failed${made.error ? `: ${made.error.message}` : ''}. `
        + 'Debian/Ubuntu: apt-get install python3-venv (or set TORCHLORA_BASE_PYTHON to a Python 3.10+ with venv)');
    }
  }
  const env = pipEnvironment(python);
  const pip = (file) => {
    say(`installing ${relative(root, file)} into ${name}` + (env.PIP_INDEX_URL ? ` from the local index ${env.PIP_INDEX_URL}` : ''));
    return spawnSync(python, ['-m', 'pip', 'install', '-q', ...flags, '-r', file], { stdio: [0, 2, 2], env });
  };
  const installed = pip(requirements);
  if (installed.error || installed.status !== 0) throw new Error(`pip install -r ${relative(root, requirements)} into ${name} failed (exit code ${installed.status})`);
  if (optional !== undefined) {
    rmSync(optionalMissing(venv), { force: true });
    const extra = pip(optional);
    if (extra.error || extra.status !== 0) {
      const why = `pip install -r ${relative(root, optional)} failed (exit code ${extra.status}; pip's words are in the set-up's log)`;
      say(`${why}: the Hugging Face comparison tests will skip, saying so`);
      writeFileSync(optionalMissing(venv), `${why}\n`);
    }
  }
  writeFileSync(madeFrom, wanted);
  return python;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const which = process.argv.includes('--cuda') ? ENVIRONMENTS.cuda : ENVIRONMENTS.default;
    process.stdout.write(`${ensureProjectPython(undefined, which)}\n`);
  } catch (error) {
    process.stderr.write(`[python] failed: ${error.message}\n`);
    process.exit(1);
  }
}
