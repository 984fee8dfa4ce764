#!/usr/bin/env node
// The one place that decides which libtorch the addon builds against. CMakeLists.txt,
// binding.gyp and scripts/setup.mjs all ask this script, so the two build paths can never
// disagree. Order: $LIBTORCH (a libtorch tree), or $TORCHLORA_PYTHON (a Python whose torch to
// use), each final when set; else the project's .venv, $VIRTUAL_ENV, python3, /usr/bin/python3,
// then the system's (Debian libtorch-dev).
//
//   node scripts/libtorch.mjs              JSON description of the libtorch found
//   node scripts/libtorch.mjs --cmake      its cmake prefix path (for find_package(Torch))
//   node scripts/libtorch.mjs --gyp KEY    include_dirs | libraries | ldflags | defines | std, one per line
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SYSTEM_PREFIXES = ['/usr/lib/x86_64-linux-gnu/cmake', '/usr/lib/aarch64-linux-gnu/cmake',
  '/usr/lib/cmake', '/usr/share/cmake', '/usr/local/lib/cmake', '/usr/local/share/cmake'];
const SYSTEM_LIBRARY_FOLDERS = ['/usr/lib', '/usr/local/lib', '/lib'];
const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** The project's own Python environment, which `npm run setup` makes with PyTorch (see scripts/python.mjs). */
export const PROJECT_VENV = join(root, '.venv');

function torchConfigUnder(prefix) {
  const file = join(prefix, 'Torch', 'TorchConfig.cmake');
  return existsSync(file) ? file : null;
}

// A libtorch tree (pytorch.org's zip, or python's site-packages/torch) has include/ and lib/.
function fromTree(root, source, tried) {
  const config = torchConfigUnder(join(root, 'share', 'cmake'));
  if (!config || !existsSync(join(root, 'include', 'ATen', 'ATen.h'))) {
    tried.push(`${source}: ${root} has no share/cmake/Torch/TorchConfig.cmake with include/ATen`);
    return null;
  }
  return describe(source, join(root, 'share', 'cmake'), config,
    [join(root, 'include'), join(root, 'include', 'torch', 'csrc', 'api', 'include')],
    join(root, 'lib'));
}

// Python's torch folder and version, found without importing torch (an import takes seconds).
function torchOf(python, tried, source) {
  const probe = 'import importlib.util as u, json; s = u.find_spec("torch"); print(json.dumps(s and s.submodule_search_locations[0]))';
  let folder;
  try {
    folder = JSON.parse(execFileSync(python, ['-c', probe], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 }));
  } catch {
    tried.push(`${source}: ${python} could not be run`);
    return null;
  }
  if (!folder) {
    tried.push(`${source}: ${python} has no torch`);
    return null;
  }
  return folder;
}

// The libtorch a Python's torch runs on: the wheel's own tree (pip, conda), or for a distribution's
// torch whose libraries are the system's (Debian's python3-torch links /usr/lib/.../libtorch*.so.1.13),
// the system libtorch.
function fromPython(python, source, tried) {
  const folder = torchOf(python, tried, source);
  if (folder === null) return null;
  const found = torchConfigUnder(join(folder, 'share', 'cmake'))
    ? fromTree(folder, source, tried)
    : (isSystemLibrary(join(folder, 'lib', 'libtorch_cpu.so')) ? fromSystem(tried) : null);
  if (found === null) {
    tried.push(`${source}: ${folder} is neither a libtorch tree (share/cmake/Torch) nor linked to the system's libtorch`);
    return null;
  }
  return { ...found, source, python };
}

function isSystemLibrary(path) {
  if (!existsSync(path)) return false;
  const real = realpathSync(path);
  return SYSTEM_LIBRARY_FOLDERS.some((folder) => real.startsWith(`${folder}/`));
}

function fromSystem(tried) {
  for (const prefix of SYSTEM_PREFIXES) {
    const config = torchConfigUnder(prefix);
    if (!config) continue;
    const include = ['/usr/include', '/usr/local/include'].find((dir) => existsSync(join(dir, 'ATen', 'ATen.h')));
    if (!include) {
      tried.push(`system: ${config} exists but no ATen headers were found`);
      continue;
    }
    const libDir = [dirname(prefix), '/usr/lib', '/usr/local/lib'].find((dir) => existsSync(join(dir, 'libtorch.so')));
    if (!libDir) {
      tried.push(`system: ${config} exists but no libtorch.so was found`);
      continue;
    }
    return describe('system', prefix, config, [include, join(include, 'torch', 'csrc', 'api', 'include')], libDir);
  }
  tried.push(`system: no Torch/TorchConfig.cmake under ${SYSTEM_PREFIXES.join(', ')}`);
  return null;
}

function readVersion(configFile, includeDirs) {
  const versionFile = join(dirname(configFile), 'TorchConfigVersion.cmake');
  if (existsSync(versionFile)) {
    const match = readFileSync(versionFile, 'utf8').match(/set\(PACKAGE_VERSION "([^"]+)"\)/);
    if (match) return match[1];
  }
  for (const dir of includeDirs) {
    const file = join(dir, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h');
    const alt = join(dir, 'torch', 'version.h');
    const path = existsSync(file) ? file : existsSync(alt) ? alt : null;
    if (!path) continue;
    const text = readFileSync(path, 'utf8');
    const part = (name) => (text.match(new RegExp(`#define TORCH_VERSION_${name} (\\d+)`)) ?? [])[1];
    if (part('MAJOR')) return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  }
  return 'unknown';
}

/**
 * The C++ standard a libtorch's headers need: 20 where ATen.h demands it (PyTorch 2.14 on),
 * else 17.
 */
export function cxxStandardOf(includeDirs) {
  const aten = includeDirs.map((dir) => join(dir, 'ATen', 'ATen.h')).find((file) => existsSync(file));
  return aten !== undefined && readFileSync(aten, 'utf8').includes('C++20 or later') ? 20 : 17;
}

// `layout`: 'system' when the libraries carry the version in their file names (Debian's
// libtorch_cpu.so.1.13), 'pytorch' when they do not (pip wheels and pytorch.org's zips).
function describe(source, cmakePrefix, configFile, includeDirs, libDir) {
  const config = readFileSync(configFile, 'utf8');
  const version = readVersion(configFile, includeDirs);
  const abi = (config.match(/_GLIBCXX_USE_CXX11_ABI=(\d)/) ?? [])[1] ?? '1';
  const has = (name) => existsSync(join(libDir, `lib${name}.so`));
  const libs = ['torch', 'torch_cpu', 'c10'];
  const cuda = has('torch_cuda');
  if (cuda) libs.push('torch_cuda', 'c10_cuda');
  const majorMinor = version.split('.').slice(0, 2).join('.');
  return {
    source, cmakePrefix, includeDirs, libDir, libs, cuda, version,
    layout: existsSync(join(libDir, `libtorch_cpu.so.${majorMinor}`)) ? 'system' : 'pytorch',
    python: null,
    cxxStandard: cxxStandardOf(includeDirs),
    defines: [`_GLIBCXX_USE_CXX11_ABI=${abi}`],
  };
}

// An explicit choice (LIBTORCH, TORCHLORA_PYTHON) is final: when it does not work, the error
// says so rather than building against another libtorch.
export function findLibtorch() {
  const tried = [];
  const chosen = process.env.LIBTORCH ? fromTree(process.env.LIBTORCH, `LIBTORCH=${process.env.LIBTORCH}`, tried)
    : process.env.TORCHLORA_PYTHON ? fromPython(process.env.TORCHLORA_PYTHON, `TORCHLORA_PYTHON=${process.env.TORCHLORA_PYTHON}`, tried)
      : undefined;
  let found = chosen ?? null;
  if (chosen === undefined) {
    const pythons = [
      [join(PROJECT_VENV, 'bin', 'python'), 'the project\'s .venv'],
      ...(process.env.VIRTUAL_ENV ? [[join(process.env.VIRTUAL_ENV, 'bin', 'python'), `VIRTUAL_ENV=${process.env.VIRTUAL_ENV}`]] : []),
      ['python3', 'python3 on PATH'],
      ['/usr/bin/python3', '/usr/bin/python3'],
    ].filter(([python]) => python === 'python3' || existsSync(python));
    for (const [python, source] of pythons) {
      found = fromPython(python, `python (${source})`, tried);
      if (found) break;
    }
    found ??= fromSystem(tried);
  }
  if (found) return { ...found, tried };
  const error = new Error([
    'torchlora: no libtorch was found. Tried, in order:',
    ...tried.map((line) => `  - ${line}`),
    'Fix one of these:',
    '  - Debian/Ubuntu: apt-get install libtorch-dev python3-torch libopenblas0-openmp libgloo-dev',
    '    (or run `npm run setup` as root, which does it for you)',
    '  - an unpacked libtorch (e.g. a CUDA build from pytorch.org): export LIBTORCH=/path/to/libtorch',
    '  - pip install torch (in a venv: VIRTUAL_ENV, or TORCHLORA_PYTHON=/path/to/python)',
  ].join('\n'));
  error.tried = tried;
  throw error;
}

function main(argv) {
  let found;
  try {
    found = findLibtorch();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (argv[0] === '--cmake') {
    process.stdout.write(found.cmakePrefix);
  } else if (argv[0] === '--gyp') {
    const lines = {
      include_dirs: found.includeDirs,
      libraries: found.libs.map((lib) => `-l${lib}`),
      ldflags: [`-L${found.libDir}`, `-Wl,-rpath,${found.libDir}`],
      defines: found.defines,
      std: [`-std=c++${found.cxxStandard}`],
    }[argv[1]];
    if (!lines) {
      process.stderr.write(`--gyp takes include_dirs, libraries, ldflags, defines or std, not ${argv[1]}\n`);
      process.exit(2);
    }
    process.stdout.write(lines.join('\n'));
  } else {
    process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
