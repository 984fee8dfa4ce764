#!/usr/bin/env node
// The project's own Python environment (.venv, git-ignored): PyTorch at the version the default
// build links (scripts/requirements.txt), so that the addon, the parity suite and the benches
// run on one libtorch, the one PyTorch users have. `npm run setup` calls ensureProjectPython();
// run directly, this script makes or updates the environment and prints its Python.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_VENV } from './libtorch.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const REQUIREMENTS = join(root, 'scripts', 'requirements.txt');
// What the environment was last made from: a copy of the requirements, written after pip succeeded.
const MADE_FROM = join(PROJECT_VENV, 'torchlora-requirements.txt');

/** The project environment's Python. */
export const PROJECT_PYTHON = join(PROJECT_VENV, 'bin', 'python');

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

/** Makes .venv and installs scripts/requirements.txt into it, unless it was made from the same file already. */
export function ensureProjectPython(say = (message) => process.stderr.write(`[python] ${message}\n`)) {
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  if (existsSync(PROJECT_PYTHON) && existsSync(MADE_FROM) && readFileSync(MADE_FROM, 'utf8') === wanted) return PROJECT_PYTHON;
  const base = process.env.TORCHLORA_BASE_PYTHON ?? 'python3';
  if (!existsSync(PROJECT_PYTHON)) {
    say(`making the project's Python environment (${base} -m venv .venv)`);
    const made = spawnSync(base, ['-m', 'venv', PROJECT_VENV], { stdio: [0, 2, 2] });
    if (made.error || made.status !== 0) {
      throw new Error(`${base} -m venv .venv failed${made.error ? `: ${made.error.message}` : ''}. `
        + 'Debian/Ubuntu: apt-get install python3-venv (or set TORCHLORA_BASE_PYTHON to a Python 3.10+ with venv)');
    }
  }
  const env = pipEnvironment(PROJECT_PYTHON);
  say(`installing ${wanted.split('\n').filter((line) => line && !line.startsWith('#')).join(', ')} into .venv`
    + (env.PIP_INDEX_URL ? ` from the local index ${env.PIP_INDEX_URL}` : ''));
  const installed = spawnSync(PROJECT_PYTHON, ['-m', 'pip', 'install', '-q', '-r', REQUIREMENTS], { stdio: [0, 2, 2], env });
  if (installed.error || installed.status !== 0) throw new Error(`pip install -r scripts/requirements.txt into .venv failed (exit code ${installed.status})`);
  writeFileSync(MADE_FROM, wanted);
  return PROJECT_PYTHON;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${ensureProjectPython()}\n`);
  } catch (error) {
    process.stderr.write(`[python] failed: ${error.message}\n`);
    process.exit(1);
  }
}
