#!/usr/bin/env node
// Makes the prebuilds the package ships (prebuildify's layout, tagged by src/core/loader.ts), so that
// an install on a machine with that libtorch needs no compiler.
//
//   node scripts/prebuild.mjs         the addon `npm run setup` built (build/Release), as a prebuild
//                                     for the libtorch it was built against (`npm pack`'s prepack)
//   node scripts/prebuild.mjs --all   builds and copies one for each supported libtorch on this
//                                     machine: Debian's (when /usr/bin/python3 has python3-torch),
//                                     then the project's PyTorch (.venv), which build/ keeps
//                                     (`npm run prebuilds`)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { PRELOAD_PREBUILD, prebuildFolder, prebuildName } = await import(join(root, 'dist', 'src', 'core', 'loader.js'));

// What the binary itself says: the libtorch headers it was compiled with, whether it links
// libtorch_cuda, and whether it needs libtorch_cpu by an unversioned name (PyTorch's own build)
// or a versioned one (a distribution's): its dynamic section names the libraries it needs.
function copyBuilt() {
  const built = join(root, 'build', 'Release', 'torchlora.node');
  const addon = createRequire(import.meta.url)(built);
  const version = addon.config().version;
  const binary = readFileSync(built);
  const cuda = binary.includes('libtorch_cuda.so');
  const layout = binary.includes('libtorch_cpu.so\0') ? 'pytorch' : 'system';
  const folder = prebuildFolder(root);
  const name = prebuildName(version, cuda, layout);
  mkdirSync(folder, { recursive: true });
  copyFileSync(built, join(folder, name));
  // A PyTorch build's prebuild is loaded after its libraries, by the preload helper beside it.
  if (layout === 'pytorch') copyFileSync(join(root, 'build', 'Release', 'torchlora_preload.node'), join(folder, PRELOAD_PREBUILD));
  process.stderr.write(`[prebuild] ${relative(root, join(folder, name))} (libtorch ${version}, ${layout}, ${cuda ? 'CUDA' : 'CPU'})\n`);
}

// `npm run setup` (which rebuilds build/ when the libtorch it finds changed) and a copy, with
// `choice` as the only libtorch choice in the environment.
function buildAndCopy(choice) {
  const env = { ...process.env, ...choice };
  if (!choice.TORCHLORA_PYTHON) delete env.TORCHLORA_PYTHON;
  delete env.LIBTORCH;
  const run = (args) => {
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: [0, 2, 2], env });
    if (result.status !== 0) process.exit(result.status ?? 1);
  };
  run([join(root, 'scripts', 'setup.mjs')]);
  run([fileURLToPath(import.meta.url)]);
}

if (process.argv.includes('--all')) {
  const debian = spawnSync('/usr/bin/python3', ['-c', 'import importlib.util as u; assert u.find_spec("torch")'], { stdio: 'ignore' });
  if (existsSync('/usr/bin/python3') && debian.status === 0) buildAndCopy({ TORCHLORA_PYTHON: '/usr/bin/python3' });
  else process.stderr.write('[prebuild] no Debian libtorch here (apt-get install python3-torch libtorch-dev): its prebuild is not made\n');
  buildAndCopy({});
} else {
  copyBuilt();
}
