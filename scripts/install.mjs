#!/usr/bin/env node
// What `npm install torchlora` runs (the package's install script): use a prebuilt addon when
// one fits this machine's libtorch, and build from source only when none does (or when asked:
// `npm rebuild torchlora --build-from-source`, or TORCHLORA_BUILD_FROM_SOURCE=1). A source
// build uses npm's own node-gyp, Node's own headers and scripts/libtorch.mjs's libtorch, and
// downloads nothing; when it cannot work, one message says what is missing and how to get it.
// npm 11 runs a dependency's install script only once the project allows it (allowScripts);
// without it the loader still picks a fitting prebuild at import, and a source build is
// `node node_modules/torchlora/scripts/install.mjs --build-from-source`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const say = (message) => process.stderr.write(`torchlora: ${message}\n`);

// A checkout of torchlora itself has its own set-up, which builds everything.
if (existsSync(join(root, 'src', 'index.ts'))) {
  say('a checkout of torchlora: `npm run setup` builds it');
  process.exit(0);
}

const loader = join(root, 'dist', 'src', 'core', 'loader.js');
const { addonCandidates } = await import(loader);

// Whether the addon loads in a fresh process (its libraries resolve, its symbols bind), as the
// loader loads it (src/core/loader.ts requireAddon: a PyTorch build's libraries first).
function loads(candidate) {
  const script = `const { requireAddon } = await import(${JSON.stringify(loader)});
    requireAddon(${JSON.stringify(candidate)}, (await import('node:module')).createRequire(import.meta.url), ${JSON.stringify(root)});`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return result.status === 0 ? null : (result.stderr.split('\n').find((line) => line.startsWith('Error')) ?? `exit code ${result.status}`);
}

function usePrebuild() {
  const notes = [];
  for (const candidate of addonCandidates(root)) {
    const { path, problem } = candidate;
    const failure = problem ?? loads(candidate);
    if (failure === null) {
      say(`using ${relative(root, path)}: no compiler needed`);
      return true;
    }
    notes.push(`${relative(root, path)}: ${failure}`);
  }
  say(`no prebuilt addon fits this machine, building from source:\n${notes.map((note) => `  - ${note}`).join('\n')}`);
  return false;
}

function runs(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.error === undefined && result.status === 0 ? result.stdout : null;
}

// npm tells its scripts where its own node-gyp is; else the one beside npm.
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  return candidates.find((path) => path && existsSync(path)) ?? null;
}

// Node's own headers: the official builds ship them beside the binary (node-gyp would
// otherwise download them, which this install never does).
function nodeHeaders() {
  const candidates = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))];
  return candidates.find((dir) => dir && existsSync(join(dir, 'include', 'node', 'node_api.h'))) ?? null;
}

function buildFromSource() {
  const missing = [];
  const compiler = process.env.CXX ?? 'g++';
  if (runs(compiler, ['--version']) === null) missing.push([`a C++ compiler (${compiler})`, 'apt-get install g++ make']);
  if (runs('make', ['--version']) === null) missing.push(['make', 'apt-get install make']);
  if (runs('python3', ['--version']) === null) missing.push(['python3 (node-gyp runs gyp with it)', 'apt-get install python3']);
  const libtorch = spawnSync(process.execPath, [join(root, 'scripts', 'libtorch.mjs')], { encoding: 'utf8' });
  if (libtorch.status !== 0) missing.push(['libtorch\'s headers and libraries', 'apt-get install libtorch-dev libopenblas0-openmp   (or your own libtorch: LIBTORCH=/path/to/libtorch npm rebuild torchlora)']);
  const headers = nodeHeaders();
  if (headers === null) missing.push([`Node's headers (no include/node/node_api.h beside ${process.execPath})`, 'use an official Node build, or point npm_config_nodedir at a folder with include/node']);
  const gyp = nodeGyp();
  if (gyp === null) missing.push(['node-gyp (it comes with npm)', 'reinstall npm']);
  if (missing.length > 0) {
    say([
      'no prebuilt addon fits this machine, and it cannot be built from source here. Missing:',
      ...missing.map(([what]) => `  - ${what}`),
      'Fix (Debian/Ubuntu, as root), then run npm rebuild torchlora:',
      ...missing.map(([, fix]) => `  ${fix}`),
    ].join('\n'));
    return false;
  }
  say(`compiling against libtorch ${JSON.parse(libtorch.stdout).version} (a few minutes)`);
  const jobs = String(Math.max(1, Math.min(8, availableParallelism())));
  const build = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${headers}`, `--jobs=${jobs}`], { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 });
  const failure = build.status === 0 ? loads({ path: join(root, 'build', 'Release', 'torchlora.node'), problem: null, preload: [] }) : `node-gyp exited with ${build.status}`;
  if (failure !== null) {
    const log = `${build.stdout ?? ''}${build.stderr ?? ''}`.trimEnd().split('\n').slice(-25).join('\n');
    say(`the source build failed (${failure}). Its last lines:\n${log}\nFix what they name, then run npm rebuild torchlora.`);
    return false;
  }
  say('built from source');
  return true;
}

const fromSource = process.argv.includes('--build-from-source') || process.env.TORCHLORA_BUILD_FROM_SOURCE === '1'
  || process.env.npm_config_build_from_source === 'true';
if (!(fromSource ? buildFromSource() : usePrebuild() || buildFromSource())) process.exit(1);
