#!/usr/bin/env node
// Every set-up step `npm start`, `npm test` and `npm run setup` need, each done only when it
// is missing or stale: npm dependencies, Debian's packages (apt, as root: gloo's headers, and
// Debian's own libtorch and OpenBLAS for the second supported stack), the project's Python
// environment with PyTorch (.venv, unless LIBTORCH or TORCHLORA_PYTHON chose another libtorch),
// the native addon (cmake-js) against the libtorch scripts/libtorch.mjs finds, the TypeScript
// build (tsc).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureProjectPython } from './python.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const APT_PACKAGES = ['libtorch-dev', 'python3-torch', 'libopenblas0-openmp', 'libgloo-dev'];

function say(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

// The tools' output goes to stderr, as setup's own does: stdout stays clean for whoever ran
// setup as a hook (npm pack --json prints its JSON there, after prepack ran setup).
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: [0, 2, 2], ...options });
  if (result.error) throw new Error(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
}

// The newest modification time of the files under `paths` that `counts` accepts.
function newest(paths, counts = () => true) {
  let time = 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else if (counts(path)) time = Math.max(time, stat.mtimeMs);
  };
  paths.forEach((path) => visit(join(root, path)));
  return time;
}

function mtime(path) {
  return existsSync(join(root, path)) ? statSync(join(root, path)).mtimeMs : 0;
}

function ensureNodeModules() {
  const marker = 'node_modules/.package-lock.json';
  if (mtime(marker) >= Math.max(mtime('package.json'), mtime('package-lock.json')) && existsSync(join(root, 'node_modules', 'vitest'))) return;
  say('installing npm dependencies (npm ci)');
  run('npm', existsSync(join(root, 'package-lock.json')) ? ['ci', '--ignore-scripts'] : ['install', '--ignore-scripts']);
}

// The lowest Node that package.json's engines allows, for test/install.test.ts: its own folder
// and lock file, so that its `node` never shadows the Node that runs npm scripts here.
function ensureLowestNode() {
  const folder = join(root, 'test', 'lowest-node');
  if (mtime('test/lowest-node/node_modules/.package-lock.json') >= mtime('test/lowest-node/package-lock.json')) return;
  say('installing the lowest supported Node for the install test (npm ci in test/lowest-node)');
  run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: folder });
}

function isInstalled(pkg) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

// Debian/Ubuntu: installs gloo's headers (the pip wheel ships none), Debian's libtorch, its
// Python torch and OpenBLAS (the second supported stack) when missing.
function ensureSystemPackages() {
  if (process.env.LIBTORCH) return; // the user chose their own libtorch
  if (!existsSync('/usr/bin/apt-get') || !existsSync('/usr/bin/dpkg-query')) return;
  const missing = APT_PACKAGES.filter((pkg) => !isInstalled(pkg));
  if (missing.length === 0) return;
  const command = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    say(`missing Debian packages: ${missing.join(', ')}. Run as root: apt-get update && ${command}`);
    return;
  }
  say(`installing ${missing.join(', ')} with apt-get (libtorch is large: a few minutes)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

function nodeHeadersDir() {
  // Node's own headers, which match the running Node exactly (NAPI_EXPERIMENTAL needs that).
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

// The addon is rebuilt when a source changed or the libtorch found is not the one it was built
// against (build/libtorch.json records it; cmake caches Torch_DIR, so the folder starts afresh).
// How it was found (source, and so the Python named) may change without a rebuild.
function ensureAddon() {
  const addon = 'build/Release/torchlora.node';
  const record = join(root, 'build', 'libtorch.json');
  const libtorch = JSON.parse(execFileSync(process.execPath, [join(root, 'scripts', 'libtorch.mjs')], { encoding: 'utf8' }));
  delete libtorch.tried;
  const built = ({ source, python, ...library }) => JSON.stringify(library);
  const recorded = existsSync(record) ? JSON.parse(readFileSync(record, 'utf8')) : null;
  const same = recorded !== null && built(recorded) === built(libtorch);
  const sources = newest(['native', 'CMakeLists.txt', 'scripts/libtorch.mjs']);
  if (same && mtime(addon) > sources && !process.env.TORCHLORA_REBUILD) {
    if (JSON.stringify(recorded) !== JSON.stringify(libtorch)) writeFileSync(record, `${JSON.stringify(libtorch, null, 2)}\n`);
    return;
  }
  if (!same) rmSync(join(root, 'build'), { recursive: true, force: true });
  say(`building the native addon against libtorch ${libtorch.version} from ${libtorch.source}`);
  const env = { ...process.env };
  const headers = nodeHeadersDir();
  if (headers) env.npm_config_nodedir = headers;
  run(process.execPath, [join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'build', '--out', 'build',
    `--CDNODE_EXECUTABLE=${process.execPath}`, '--parallel', String(Math.max(2, Math.min(8, availableCores())))], { env });
  writeFileSync(record, `${JSON.stringify(libtorch, null, 2)}\n`);
}

function availableCores() {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || 2;
  } catch {
    return 2;
  }
}

// Only what tsc reads counts: a bench writing bench/results/ made this recompile dist/ (from
// `npm pack`'s prepack, inside install.test.ts) while other tests' children were importing
// it, and one read a half-written module.
function ensureTypeScript() {
  if (mtime('dist/src/index.js') > newest(['src', 'examples', 'bench', 'tsconfig.json'], (path) => /\.ts$|tsconfig\.json$/.test(path))) return;
  say('compiling TypeScript');
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
}

// Two set-ups at once (a test run and `npm start`, say) must not build into one folder
// together: the second waits for the first, then finds nothing stale.
function withLock(fn) {
  const lock = join(root, '.setup.lock');
  const deadline = Date.now() + 30 * 60 * 1000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A lock older than the deadline belongs to a set-up that died.
      if (Date.now() - statSync(lock).mtimeMs > 30 * 60 * 1000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; remove it if no set-up is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

try {
  withLock(() => {
    ensureNodeModules();
    if (process.env.npm_lifecycle_event === 'pretest') ensureLowestNode();
    ensureSystemPackages();
    if (!process.env.LIBTORCH && !process.env.TORCHLORA_PYTHON) ensureProjectPython(say);
    ensureAddon();
    ensureTypeScript();
  });
} catch (error) {
  say(`failed: ${error.message}`);
  process.exit(1);
}
