// Where the native addon is, and whether a prebuilt one fits this machine. Used by the loader
// (src/native.ts) at import and by the install script (scripts/install.mjs), so both decide
// alike. Imports nothing of the addon: it must work before there is one.
//
// Prebuilds follow prebuildify's layout, `prebuilds/<platform>-<arch>/<name>.<tags>.node`,
// with two tags of ours: the libtorch it was linked against (`libtorch_1_13`, major and
// minor, the part of the version in libtorch's SONAME) and `cpu` or `cuda`. A prebuild fits
// when the dynamic linker can find that libtorch's libraries; a mismatch is reported in words
// instead of as a dlopen error.
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
  cuda: boolean;
}

/** The file name of a prebuild for this libtorch: `torchlora.napi.glibc.libtorch_1_13.cpu.node`. */
export function prebuildName(libtorchVersion: string, cuda: boolean): string {
  const [major, minor] = libtorchVersion.split('.');
  if (major === undefined || minor === undefined) throw new TypeError(`Expected a libtorch version such as 1.13.1 but received ${libtorchVersion}`);
  return `torchlora.napi.glibc.libtorch_${major}_${minor}.${cuda ? 'cuda' : 'cpu'}.node`;
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
    libtorch: libtorch.slice('libtorch_'.length).replace('_', '.'), cuda: device === 'cuda',
  };
}

/** The folders the dynamic linker searches, as far as a file check can tell. */
function libraryFolders(): string[] {
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  const libtorch = process.env.LIBTORCH ? [join(process.env.LIBTORCH, 'lib')] : [];
  const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [...fromEnv, ...libtorch, `/lib/${multiarch}`, `/usr/lib/${multiarch}`, '/usr/local/lib', '/usr/lib', '/lib', '/usr/lib64', '/lib64'];
}

/** Why a prebuild does not fit this machine, or null when it does. */
export function prebuildMismatch(tags: PrebuildTags): string | null {
  if (!tags.napi) return 'it is not a Node-API build';
  if (tags.libc === 'musl' && existsSync('/lib/ld-linux-x86-64.so.2')) return 'it is for musl, and this system uses glibc';
  const wanted = tags.cuda ? ['libtorch_cpu', 'libtorch_cuda'] : ['libtorch_cpu'];
  const folders = libraryFolders();
  for (const library of wanted) {
    const soname = `${library}.so.${tags.libtorch}`;
    if (!folders.some((dir) => existsSync(join(dir, soname)))) {
      return `it was linked against libtorch ${tags.libtorch} (${tags.cuda ? 'CUDA' : 'CPU'}), and ${soname} is not on this machine (searched ${folders.join(', ')})`;
    }
  }
  return null;
}

/** One place the addon may be, and why it cannot be used (null when it can be tried). */
export interface AddonCandidate {
  path: string;
  problem: string | null;
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
 * platform, each with the reason it does not fit this machine if it does not.
 */
export function addonCandidates(root = packageRoot()): AddonCandidate[] {
  const built = (path: string): AddonCandidate => ({ path, problem: existsSync(path) ? null : 'not built' });
  const candidates: AddonCandidate[] = [];
  if (process.env.TORCHLORA_ADDON) candidates.push(built(process.env.TORCHLORA_ADDON));
  candidates.push(built(join(root, 'build', 'Release', 'torchlora.node')));
  const folder = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const files = existsSync(folder) ? readdirSync(folder).sort() : [];
  for (const file of files) {
    const tags = parsePrebuild(file);
    if (tags !== null) candidates.push({ path: join(folder, file), problem: prebuildMismatch(tags) });
  }
  if (files.length === 0) candidates.push({ path: folder, problem: `no prebuilds for ${process.platform}-${process.arch}` });
  return candidates;
}
