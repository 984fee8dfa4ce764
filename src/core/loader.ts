// Where the native addon is, and whether a prebuilt one fits this machine. Used by the loader
// (src/core/native.ts) at import and by the install script (scripts/install.mjs), so both decide
// alike. Imports nothing of the addon: it must work before there is one.
//
// Prebuilds follow prebuildify's layout, `prebuilds/<platform>-<arch>/<name>.<tags>.node`,
// with three tags of ours: the libtorch it was linked against (`libtorch_2_13`, major and
// minor), whose build (`system`: a distribution's, `pytorch`: PyTorch's own, see PrebuildTags),
// and `cpu` or `cuda`. A prebuild fits when that libtorch is on the machine: for `system`, where
// the dynamic linker finds it; for `pytorch`, in a Python environment (or LIBTORCH) that this
// file finds and whose libraries are loaded first. A mismatch is reported in words instead of as
// a dlopen error.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a prebuild's file name says about it. */
export interface PrebuildTags {
  file: string;
  napi: boolean;
  libc: string | null;
  /** "1.13": libtorch's major.minor. */
  libtorch: string;
  /**
   * 'system': a distribution's libtorch, whose libraries carry the version in their names
   * (Debian's libtorch_cpu.so.1.13), found by the dynamic linker. 'pytorch': PyTorch's own
   * build (a pip wheel's torch/lib, or a libtorch zip), whose libraries are unversioned and live
   * in a folder no shipped rpath can name: the loader finds that folder and loads them first.
   */
  layout: 'system' | 'pytorch';
  cuda: boolean;
}

/** The file name of a prebuild: `torchlora.napi.glibc.libtorch_2_13.pytorch.cpu.node`. */
export function prebuildName(libtorchVersion: string, cuda: boolean, layout: PrebuildTags['layout']): string {
  const [major, minor] = libtorchVersion.split('.');
  if (major === undefined || minor === undefined) throw new TypeError(`Expected a libtorch version such as 1.13.1 but received ${libtorchVersion}`);
  return `torchlora.napi.glibc.libtorch_${major}_${minor}.${layout}.${cuda ? 'cuda' : 'cpu'}.node`;
}

/** Reads the tags of a prebuild's file name, or null for a file that is not one of ours. */
export function parsePrebuild(file: string): PrebuildTags | null {
  const parts = file.split('.');
  if (parts.pop() !== 'node' || parts.shift() !== 'torchlora') return null;
  const libtorch = parts.find((tag) => /^libtorch_\d+_\d+$/.test(tag));
  const device = parts.find((tag) => tag === 'cpu' || tag === 'cuda');
  if (libtorch === undefined || device === undefined) return null;
  return {
    file, napi: parts.includes('napi'), libc: parts.find((tag) => tag === 'glibc' || tag === 'musl') ?? null,
    libtorch: libtorch.slice('libtorch_'.length).replace('_', '.'),
    layout: parts.includes('pytorch') ? 'pytorch' : 'system', cuda: device === 'cuda',
  };
}

/** The folders the dynamic linker searches, as far as a file check can tell. */
function libraryFolders(): string[] {
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  const libtorch = process.env.LIBTORCH ? [join(process.env.LIBTORCH, 'lib')] : [];
  const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [...fromEnv, ...libtorch, `/lib/${multiarch}`, `/usr/lib/${multiarch}`, '/usr/local/lib', '/usr/lib', '/lib', '/usr/lib64', '/lib64'];
}

/** A PyTorch build of libtorch on this machine: its lib folder, its version and whether it is a CUDA build. */
export interface PytorchLibtorch {
  where: string;
  lib: string;
  version: string;
  cuda: boolean;
}

// A torch folder's version without importing it: a wheel's torch/version.py, a zip's build-version.
function readPytorch(folder: string, where: string): PytorchLibtorch | string {
  const lib = join(folder, 'lib');
  if (!existsSync(join(lib, 'libtorch_cpu.so'))) return `${where}: no lib/libtorch_cpu.so in ${folder}`;
  const versionPy = join(folder, 'version.py');
  if (existsSync(versionPy)) {
    const text = readFileSync(versionPy, 'utf8');
    const version = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(text)?.[1];
    if (version !== undefined) return { where, lib, version, cuda: /^cuda\s*(?::[^=]*)?=\s*['"]/m.test(text) };
  }
  const buildVersion = join(folder, 'build-version');
  if (existsSync(buildVersion)) {
    const version = readFileSync(buildVersion, 'utf8').trim();
    return { where, lib, version, cuda: existsSync(join(lib, 'libtorch_cuda.so')) };
  }
  return `${where}: ${folder} says no version (no version.py or build-version)`;
}

// site-packages/torch of a virtual environment, without running its Python.
function venvTorch(venv: string): string | null {
  const libs = join(venv, 'lib');
  if (!existsSync(libs)) return null;
  const python = readdirSync(libs).filter((name) => name.startsWith('python')).sort().reverse()
    .map((name) => join(libs, name, 'site-packages', 'torch')).find((dir) => existsSync(dir));
  return python ?? null;
}

// A Python's torch folder (without importing torch, which takes seconds), or why not.
function pythonTorch(python: string): string | null {
  const probe = 'import importlib.util as u, json; s = u.find_spec("torch"); print(json.dumps(s and s.submodule_search_locations[0]))';
  const result = spawnSync(python, ['-c', probe], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 ? (JSON.parse(result.stdout) as string | null) : null;
}

let pytorchFound: (PytorchLibtorch | string)[] | undefined;

/**
 * The PyTorch builds of libtorch this process may use (looked for once), in the order tried:
 * LIBTORCH, the torch of TORCHLORA_PYTHON, of the active virtual environment (VIRTUAL_ENV), of
 * ./.venv, and of python3 on PATH; each with its version, or why it is not usable. (The build's
 * own search is scripts/libtorch.mjs, which also accepts Debian's python3-torch.)
 */
export function pytorchLibtorches(): (PytorchLibtorch | string)[] {
  if (pytorchFound !== undefined) return pytorchFound;
  const found: (PytorchLibtorch | string)[] = [];
  pytorchFound = found;
  const { LIBTORCH, TORCHLORA_PYTHON, VIRTUAL_ENV } = process.env;
  if (LIBTORCH) found.push(readPytorch(LIBTORCH, `LIBTORCH=${LIBTORCH}`));
  const fromPython = (python: string, where: string): void => {
    const folder = pythonTorch(python);
    found.push(folder === null ? `${where}: ${python} has no torch` : readPytorch(folder, where));
  };
  if (TORCHLORA_PYTHON) fromPython(TORCHLORA_PYTHON, `TORCHLORA_PYTHON=${TORCHLORA_PYTHON}`);
  for (const [venv, where] of [[VIRTUAL_ENV, `VIRTUAL_ENV=${VIRTUAL_ENV}`], [join(process.cwd(), '.venv'), './.venv']] as const) {
    if (!venv) continue;
    const folder = venvTorch(venv);
    found.push(folder === null ? `${where}: no torch in it` : readPytorch(folder, where));
  }
  if (!found.some((entry) => typeof entry !== 'string')) fromPython('python3', 'python3 on PATH');
  return found;
}

/** Why a prebuild does not fit this machine (problem), or the libraries to load before it (preload). */
export function prebuildFit(tags: PrebuildTags): { problem: string | null; preload: string[] } {
  const no = (problem: string) => ({ problem, preload: [] });
  if (!tags.napi) return no('it is not a Node-API build');
  if (tags.libc === 'musl' && existsSync('/lib/ld-linux-x86-64.so.2')) return no('it is for musl, and this system uses glibc');
  const kind = `libtorch ${tags.libtorch} (${tags.cuda ? 'CUDA' : 'CPU'})`;
  if (tags.layout === 'pytorch') {
    const candidates = pytorchLibtorches();
    const fits = candidates.find((entry): entry is PytorchLibtorch => typeof entry !== 'string'
      && entry.version.split('.').slice(0, 2).join('.') === tags.libtorch && entry.cuda === tags.cuda);
    if (fits !== undefined) return { problem: null, preload: ['libtorch.so', ...(tags.cuda ? ['libtorch_cuda.so'] : [])].map((name) => join(fits.lib, name)) };
    const seen = candidates.map((entry) => (typeof entry === 'string' ? entry : `${entry.where}: torch ${entry.version}${entry.cuda ? ' (CUDA)' : ''}`));
    return no(`it was linked against PyTorch's ${kind}, and no Python environment here has it (${seen.join('; ')})`);
  }
  const wanted = tags.cuda ? ['libtorch_cpu', 'libtorch_cuda'] : ['libtorch_cpu'];
  const folders = libraryFolders();
  for (const library of wanted) {
    const soname = `${library}.so.${tags.libtorch}`;
    if (!folders.some((dir) => existsSync(join(dir, soname)))) {
      return no(`it was linked against ${kind}, and ${soname} is not on this machine (searched ${folders.join(', ')})`);
    }
  }
  return { problem: null, preload: [] };
}

/** One place the addon may be, why it cannot be used (null when it can be tried), and what to load first. */
export interface AddonCandidate {
  path: string;
  problem: string | null;
  preload: string[];
}
/** The package's root folder: the nearest folder above this file whose package.json is torchlora's. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'torchlora') return dir;
    if (dirname(dir) === dir) throw new Error(`torchlora: no package.json of torchlora above ${from}`);
  }
}

/**
 * Where the addon may be, in the order to try: $TORCHLORA_ADDON, a build made here (cmake-js or
 * node-gyp, by `npm run setup` or by a source build at install), then the prebuilds for this
 * platform, newest libtorch first, each with the reason it does not fit this machine if it does not. Lazy: whether a
 * prebuild fits is found out only when the ones before it were passed over.
 */
export function* addonCandidates(root = packageRoot()): Generator<AddonCandidate> {
  const built = (path: string): AddonCandidate => ({ path, problem: existsSync(path) ? null : 'not built', preload: [] });
  if (process.env.TORCHLORA_ADDON) yield built(process.env.TORCHLORA_ADDON);
  yield built(join(root, 'build', 'Release', 'torchlora.node'));
  const folder = prebuildFolder(root);
  const prebuilds = (existsSync(folder) ? readdirSync(folder) : []).map(parsePrebuild)
    .filter((tags): tags is PrebuildTags => tags !== null).sort(newestFirst);
  for (const tags of prebuilds) yield { path: join(folder, tags.file), ...prebuildFit(tags) };
  if (prebuilds.length === 0) yield { path: folder, problem: `no prebuilds for ${process.platform}-${process.arch}`, preload: [] };
}

// Where several prebuilds fit (Debian's libtorch and a venv's PyTorch on one machine), the
// newest libtorch wins, and of one version the CUDA build (it fits only where that torch is one).
function newestFirst(a: PrebuildTags, b: PrebuildTags): number {
  const [aMajor, aMinor] = a.libtorch.split('.').map(Number);
  const [bMajor, bMinor] = b.libtorch.split('.').map(Number);
  return (bMajor! - aMajor!) || (bMinor! - aMinor!) || Number(b.cuda) - Number(a.cuda) || a.file.localeCompare(b.file);
}

/** Where this platform's prebuilds are: prebuildify's `prebuilds/<platform>-<arch>`. */
export function prebuildFolder(root = packageRoot()): string {
  return join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/** The file name of the preload helper beside the prebuilds (native/preload/). */
export const PRELOAD_PREBUILD = 'torchlora_preload.napi.node';

/**
 * Loads a candidate: first the libraries it needs loaded by path (through the preload helper
 * shipped beside the prebuilds), then the addon itself. Throws what failed.
 */
export function requireAddon(candidate: AddonCandidate, require: NodeRequire, root = packageRoot()): unknown {
  if (candidate.preload.length > 0) {
    const helper = require(join(prebuildFolder(root), PRELOAD_PREBUILD)) as { load(path: string): void };
    for (const library of candidate.preload) helper.load(library);
  }
  return require(candidate.path);
}
