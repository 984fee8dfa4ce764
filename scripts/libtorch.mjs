#!/usr/bin/env node
// The one place that decides which libtorch the addon builds against. CMakeLists.txt,
// binding.gyp and scripts/setup.mjs all ask this script, so the two build paths can never
// disagree. Order: $LIBTORCH, then the torch of python3, then the system's (Debian libtorch-dev).
//
//   node scripts/libtorch.mjs              JSON description of the libtorch found
//   node scripts/libtorch.mjs --cmake      its cmake prefix path (for find_package(Torch))
//   node scripts/libtorch.mjs --gyp KEY    include_dirs | libraries | ldflags | defines, one per line
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SYSTEM_PREFIXES = ['/usr/lib/x86_64-linux-gnu/cmake', '/usr/lib/aarch64-linux-gnu/cmake',
  '/usr/lib/cmake', '/usr/share/cmake', '/usr/local/lib/cmake', '/usr/local/share/cmake'];

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

function fromPython(tried) {
  const pythons = [...new Set(['/usr/bin/python3', 'python3'])];
  for (const python of pythons) {
    let prefix;
    try {
      prefix = execFileSync(python, ['-c', 'import torch.utils; print(torch.utils.cmake_prefix_path)'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 }).trim();
    } catch {
      tried.push(`python: ${python} cannot import torch`);
      continue;
    }
    if (!torchConfigUnder(prefix)) {
      tried.push(`python: ${python}'s torch.utils.cmake_prefix_path (${prefix}) has no Torch/TorchConfig.cmake`);
      continue;
    }
    const root = dirname(dirname(prefix)); // .../torch/share/cmake -> .../torch
    const found = fromTree(root, `python (${python})`, tried);
    if (found) return found;
  }
  return null;
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

function describe(source, cmakePrefix, configFile, includeDirs, libDir) {
  const config = readFileSync(configFile, 'utf8');
  const abi = (config.match(/_GLIBCXX_USE_CXX11_ABI=(\d)/) ?? [])[1] ?? '1';
  const has = (name) => existsSync(join(libDir, `lib${name}.so`));
  const libs = ['torch', 'torch_cpu', 'c10'];
  const cuda = has('torch_cuda');
  if (cuda) libs.push('torch_cuda', 'c10_cuda');
  return {
    source, cmakePrefix, includeDirs, libDir, libs, cuda,
    version: readVersion(configFile, includeDirs),
    defines: [`_GLIBCXX_USE_CXX11_ABI=${abi}`],
  };
}

export function findLibtorch() {
  const tried = [];
  const env = process.env.LIBTORCH;
  const found = (env ? fromTree(env, `LIBTORCH=${env}`, tried) : (tried.push('LIBTORCH: not set'), null))
    ?? fromPython(tried) ?? fromSystem(tried);
  if (found) return { ...found, tried };
  const error = new Error([
    'torchlora: no libtorch was found. Tried, in order:',
    ...tried.map((line) => `  - ${line}`),
    'Fix one of these:',
    '  - Debian/Ubuntu: apt-get install libtorch-dev python3-torch libopenblas0-openmp libgloo-dev',
    '    (or run `npm run setup` as root, which does it for you)',
    '  - an unpacked libtorch (e.g. a CUDA build from pytorch.org): export LIBTORCH=/path/to/libtorch',
    '  - pip install torch, so that `python3 -c "import torch"` works',
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
    }[argv[1]];
    if (!lines) {
      process.stderr.write(`--gyp takes include_dirs, libraries, ldflags or defines, not ${argv[1]}\n`);
      process.exit(2);
    }
    process.stdout.write(lines.join('\n'));
  } else {
    process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
