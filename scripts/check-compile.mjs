#!/usr/bin/env node
// Compiles every native/<room>/*.cc with `g++ -fsyntax-only` against a chosen libtorch's headers,
// with the defines and flags of the real build (CMakeLists.txt's, and those libtorch's own
// cmake files give its users), so that a libtorch this machine does not run (Debian 13's
// 2.6, a pip PyTorch 2.x) can be checked without building or linking anything.
//
//   node scripts/check-compile.mjs --torch-include DIR [--torch-include DIR2] [options] [file.cc...]
//   TORCH_INCLUDE=DIR[:DIR2] node scripts/check-compile.mjs
//
// Without either, the libtorch the real build would use (scripts/libtorch.mjs). DIR is the
// folder holding ATen/, c10/ and torch/; DIR/torch/csrc/api/include is added when it exists.
// Options: --expect-version 2[.6[.0]] (fail unless the preprocessor saw that torch version),
// --jobs N (default: the cores), --errors N (error lines shown per file, default 8),
// --log-dir DIR (each file's full compiler output; default a temporary folder).
// A torch header found outside the given folders (say Debian 12's /usr/include/ATen, when a
// 2.x header is missing) fails the file: it would not have compiled against DIR alone.
// Exits 1 when any file fails, 2 on bad usage or a set-up that cannot be checked.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cxxStandardOf, findLibtorch } from './libtorch.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const compiler = process.env.CXX || 'g++';

function usage(message) {
  process.stderr.write(`check-compile: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { includes: [], files: [], jobs: availableParallelism(), errors: 8, expect: null, logDir: null };
  const value = (i) => (i + 1 < argv.length ? argv[i + 1] : usage(`${argv[i]} needs a value`));
  const count = (i) => {
    const n = Number(value(i));
    return Number.isInteger(n) && n > 0 ? n : usage(`${argv[i]} takes a positive integer, not ${argv[i + 1]}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--torch-include') args.includes.push(value(i++));
    else if (arg === '--expect-version') args.expect = value(i++);
    else if (arg === '--jobs') args.jobs = count(i++);
    else if (arg === '--errors') args.errors = count(i++);
    else if (arg === '--log-dir') args.logDir = value(i++);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0]
        .split('\n').slice(1).map((line) => line.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else if (arg.startsWith('-')) usage(`unknown option ${arg} (see --help)`);
    else args.files.push(arg);
  }
  return args;
}

// The folders given, each resolved; DIR/torch/csrc/api/include (torch/torch.h, torch/version.h)
// joins DIR when it exists, as TorchConfig.cmake's TORCH_INCLUDE_DIRS does.
function torchIncludeDirs(given) {
  let dirs = given;
  if (dirs.length === 0 && process.env.TORCH_INCLUDE) dirs = process.env.TORCH_INCLUDE.split(':').filter(Boolean);
  if (dirs.length === 0) dirs = findLibtorch().includeDirs;
  dirs = dirs.map((dir) => (existsSync(dir) ? realpathSync(dir) : usage(`torch include folder ${dir} does not exist`)));
  for (const dir of [...dirs]) {
    const api = join(dir, 'torch', 'csrc', 'api', 'include');
    if (existsSync(api) && !dirs.includes(realpathSync(api))) dirs.push(realpathSync(api));
  }
  if (!dirs.some((dir) => existsSync(join(dir, 'ATen', 'ATen.h')))) usage(`no ATen/ATen.h under ${dirs.join(', ')}`);
  return [...new Set(dirs)];
}

// The compiler's own search list (/usr/include and friends): a torch folder that is one of them
// is searched anyway and must not be passed again (-isystem /usr/include breaks libstdc++'s
// #include_next); torch headers found in one of them but not in a given folder are shadows.
function systemIncludeDirs() {
  const result = spawnSync(compiler, ['-x', 'c++', '-E', '-v', '-'], { input: '', encoding: 'utf8' });
  if (result.error) usage(`${compiler} could not start: ${result.error.message}`);
  const lines = result.stderr.split('\n');
  const start = lines.findIndex((line) => line.startsWith('#include <...> search starts here'));
  const end = lines.findIndex((line) => line.startsWith('End of search list'));
  return lines.slice(start + 1, end).map((line) => line.trim()).filter((dir) => existsSync(dir)).map((dir) => realpathSync(dir));
}

// Folders near an include folder that may hold libtorch's cmake package files: DIR/../share/cmake
// (pip, pytorch.org's zip), DIR/../lib/cmake, DIR/../lib/<multiarch>/cmake (Debian).
function cmakeRoots(includeDir) {
  const prefix = dirname(includeDir);
  const lib = join(prefix, 'lib');
  const multiarch = existsSync(lib) ? readdirSync(lib).filter((name) => /-linux-gnu/.test(name)).map((name) => join(lib, name, 'cmake')) : [];
  return [join(prefix, 'share', 'cmake'), join(lib, 'cmake'), ...multiarch].filter((dir) => existsSync(dir));
}

// Every imported target's interface definitions and link libraries, read from the *Targets.cmake
// files of the packages under the cmake roots.
function readTargets(roots) {
  const targets = new Map();
  for (const cmakeRoot of roots) {
    for (const pkg of readdirSync(cmakeRoot)) {
      const folder = join(cmakeRoot, pkg);
      let files;
      try {
        files = readdirSync(folder).filter((name) => /targets\.cmake$/i.test(name));
      } catch {
        continue;
      }
      for (const file of files) {
        const text = readFileSync(join(folder, file), 'utf8');
        for (const match of text.matchAll(/set_target_properties\(([\w:.-]+) PROPERTIES\n([\s\S]*?)\n\)/g)) {
          const entry = targets.get(match[1]) ?? { definitions: [], links: [] };
          const property = (name) => (match[2].match(new RegExp(`${name} "([^"]*)"`)) ?? [])[1];
          entry.definitions.push(...(property('INTERFACE_COMPILE_DEFINITIONS')?.split(';') ?? []));
          entry.links.push(...(property('INTERFACE_LINK_LIBRARIES')?.split(';') ?? []));
          targets.set(match[1], entry);
        }
      }
    }
  }
  return targets;
}

// The definitions a target linking `torch` receives: its own and, through its link libraries,
// every imported target's it reaches ($<TARGET_PROPERTY:t,...> names another target's list).
function torchDefinitions(targets) {
  const definitions = new Set();
  const seen = new Set();
  const reference = (item) => (item.match(/^\\?\$<TARGET_PROPERTY:([\w:.-]+),INTERFACE_(?:COMPILE_DEFINITIONS|LINK_LIBRARIES)>$/) ?? [])[1];
  const visit = (name) => {
    if (seen.has(name) || !targets.has(name)) return;
    seen.add(name);
    const { definitions: own, links } = targets.get(name);
    for (const item of own) {
      if (reference(item)) visit(reference(item));
      else if (item && !item.includes('$<')) definitions.add(item);
    }
    for (const item of links) visit(reference(item) ?? item);
  };
  visit('torch');
  return [...definitions];
}

function torchFlags(includeDirs) {
  const roots = [...new Set(includeDirs.flatMap(cmakeRoots))];
  const config = roots.map((dir) => join(dir, 'Torch', 'TorchConfig.cmake')).find((file) => existsSync(file));
  if (!config) usage(`no Torch/TorchConfig.cmake next to ${includeDirs[0]} (looked in ${roots.join(', ') || 'no cmake folder'})`);
  const abi = (readFileSync(config, 'utf8').match(/_GLIBCXX_USE_CXX11_ABI=(\d)/) ?? [])[1] ?? '1';
  return { config, definitions: [...torchDefinitions(readTargets(roots)), `_GLIBCXX_USE_CXX11_ABI=${abi}`] };
}

// Our own part of the real build, read from CMakeLists.txt so the two cannot drift apart:
// target_compile_definitions, target_compile_options and per-file COMPILE_OPTIONS (files named
// directly or through a file(GLOB VAR ...) variable).
function projectFlags(sources) {
  const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
  const unreadable = (what) => usage(`CMakeLists.txt: cannot read ${what}; update scripts/check-compile.mjs`);
  const list = (command) => {
    const match = cmake.match(new RegExp(`${command}\\(torchlora PRIVATE([^)]*)\\)`));
    return match ? match[1].split(/\s+/).filter(Boolean) : unreadable(`${command}(torchlora PRIVATE ...)`);
  };
  const here = (path) => path.replace('${CMAKE_CURRENT_SOURCE_DIR}/', '');
  const globs = new Map();
  for (const [, name, patterns] of cmake.matchAll(/file\(GLOB (\w+)((?:\s+[^\s)]+)+)\)/g)) {
    const matchers = patterns.split(/\s+/).filter((item) => item && item !== 'CONFIGURE_DEPENDS')
      .map((pattern) => new RegExp(`^${here(pattern).replace(/[.+?^$()[\]{}|\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`));
    globs.set(name, sources.filter((source) => matchers.some((matcher) => matcher.test(source))));
  }
  const perFile = new Map();
  for (const [, files, options] of cmake.matchAll(/set_source_files_properties\(([^)]*?)\s+PROPERTIES\s+COMPILE_OPTIONS "([^"]*)"\)/g)) {
    for (const item of files.split(/\s+/).filter(Boolean)) {
      const variable = (item.match(/^\$\{(\w+)\}$/) ?? [])[1];
      const named = variable ? globs.get(variable) ?? unreadable(`\${${variable}} (not a file(GLOB) variable)`) : [here(item)];
      for (const source of named) perFile.set(source, options.replaceAll('${CMAKE_CURRENT_SOURCE_DIR}', root).split(';'));
    }
  }
  return { definitions: list('target_compile_definitions'), options: list('target_compile_options'), perFile };
}

function nodeIncludeDirs() {
  const node = join(dirname(dirname(process.execPath)), 'include', 'node');
  if (!existsSync(join(node, 'node_api.h'))) usage(`the running Node has no headers at ${node} (the real build uses them)`);
  const found = spawnSync(process.execPath, ['-p', "require('node-addon-api').include_dir"], { cwd: root, encoding: 'utf8' });
  const addonApi = found.status === 0 ? join(root, found.stdout.trim()) : null;
  if (!addonApi || !existsSync(join(addonApi, 'napi.h'))) usage('node-addon-api is not installed here: run npm ci (or npm run setup) first');
  return [node, addonApi];
}

const inside = (file, dir) => file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep);

// A header under a system folder whose first path part is one the torch folders own (ATen, c10,
// torch, caffe2, gloo...) was found there only because the given folders lack it.
function shadowedHeaders(depFile, torchDirs, systemDirs) {
  const owned = new Set(torchDirs.filter((dir) => !systemDirs.includes(dir)).flatMap((dir) => readdirSync(dir)));
  if (owned.size === 0 || !existsSync(depFile)) return [];
  const headers = readFileSync(depFile, 'utf8').replace(/\\\n/g, ' ').split(/\s+/).slice(1).filter(Boolean);
  return headers.filter((file) => !torchDirs.some((dir) => inside(file, dir)) && systemDirs.some((dir) =>
    inside(file, dir) && owned.has(relative(dir, file).split(sep)[0])));
}

function compile(source, flags, logDir) {
  const name = source.replace(/^native\//, '').replace(/\.cc$/, '').replaceAll('/', '-');
  const depFile = join(logDir, `${name}.d`);
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(compiler, [...flags(source), '-fsyntax-only', '-MD', '-MF', depFile, source], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => done({ source, status: -1, output: `${compiler} could not start: ${error.message}`, depFile, seconds: 0 }));
    child.on('close', (status) => {
      writeFileSync(join(logDir, `${name}.log`), output);
      done({ source, status, output, depFile, seconds: (Date.now() - started) / 1000 });
    });
  });
}

// Which torch version the preprocessor sees through these flags, and from which file.
function probeVersion(baseFlags, torchDirs, expect) {
  const probe = '#include <torch/version.h>\ntorchlora_version TORCH_VERSION_MAJOR TORCH_VERSION_MINOR TORCH_VERSION_PATCH\n';
  const result = spawnSync(compiler, [...baseFlags, '-E', '-P', '-H', '-x', 'c++', '-'], { cwd: root, input: probe, encoding: 'utf8' });
  if (result.status !== 0) usage(`cannot preprocess <torch/version.h> with these folders:\n${result.stderr}`);
  const header = (result.stderr.match(/^\. (\S*torch\/version\.h)$/m) ?? [])[1]; // -H lists each header
  const numbers = (result.stdout.match(/torchlora_version\s+(\d+)\s+(\d+)\s+(\d+)/) ?? []).slice(1);
  if (!header || numbers.length !== 3) usage(`<torch/version.h> did not define TORCH_VERSION_MAJOR/MINOR/PATCH:\n${result.stdout.slice(-400)}`);
  const version = numbers.join('.');
  if (!torchDirs.some((dir) => inside(realpathSync(header), dir))) {
    usage(`the preprocessor took <torch/version.h> (torch ${version}) from ${header}, outside ${torchDirs.join(', ')}: the given folders lack it`);
  }
  if (expect && !(version === expect || version.startsWith(`${expect}.`))) {
    usage(`expected torch ${expect} but the preprocessor saw torch ${version} (${header})`);
  }
  return { version, header };
}

function firstProblems(output, limit) {
  const lines = output.split('\n');
  const shown = [];
  for (let i = 0; i < lines.length && shown.length < limit; i++) {
    if (/\berror:/.test(lines[i])) shown.push(lines[i]);
  }
  return shown.length ? shown : lines.filter(Boolean).slice(-limit);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const torchDirs = torchIncludeDirs(args.includes);
  const systemDirs = systemIncludeDirs();
  const torch = torchFlags(torchDirs);
  // native/<room>/<file>.cc, as CMakeLists.txt globs them (native/preload/ is not the addon).
  const all = readdirSync(join(root, 'native'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'preload')
    .flatMap((room) => readdirSync(join(root, 'native', room.name)).filter((name) => name.endsWith('.cc')).map((name) => `native/${room.name}/${name}`))
    .sort();
  const project = projectFlags(all);
  const baseFlags = [
    // CMake's for a Release shared library with hidden visibility; the standard the headers
    // need (scripts/libtorch.mjs), strict as binding.gyp's (CMake passes gnu++NN).
    `-std=c++${cxxStandardOf(torchDirs)}`, '-O3', '-DNDEBUG', '-fPIC', '-fvisibility=hidden', '-fvisibility-inlines-hidden',
    ...project.options,
    // The one flag the real build lacks: `#if TORCH_VERSION_MAJOR >= 2` in a file that never
    // included <torch/version.h> is false on every libtorch; here it is an error.
    '-Werror=undef',
    ...[...project.definitions, ...torch.definitions].map((definition) => `-D${definition}`),
    `-I${join(root, 'native')}`,
    ...nodeIncludeDirs().map((dir) => `-I${dir}`),
    ...torchDirs.filter((dir) => !systemDirs.includes(dir)).flatMap((dir) => ['-isystem', dir]),
  ];
  const { version, header } = probeVersion(baseFlags, torchDirs, args.expect);
  // A file is named by its path (native/core/tensor.cc) or by its path inside native/ (core/tensor.cc).
  const named = (file) => all.find((source) => source === file || source === `native/${file}`) ?? usage(`${file} is not one of native/<room>/*.cc`);
  const sources = args.files.length ? args.files.map(named) : all;
  const logDir = args.logDir ? resolve(args.logDir) : mkdtempSync(join(tmpdir(), 'torchlora-check-compile-'));
  mkdirSync(logDir, { recursive: true });
  const flags = (source) => [...baseFlags, ...(project.perFile.get(source) ?? [])];

  process.stdout.write([
    `torch ${version} (${header})`,
    `include: ${torchDirs.join(' ')}`,
    `defines from ${dirname(dirname(torch.config))}: ${torch.definitions.join(' ')}`,
    `${compiler} ${baseFlags.join(' ')} -fsyntax-only native/<room>/<file>.cc`,
    ...[...project.perFile].filter(([source]) => sources.includes(source)).map(([source, options]) => `  ${source} also: ${options.join(' ')}`),
    `${sources.length} files, ${Math.min(args.jobs, sources.length)} at a time; full output in ${logDir}`,
    '',
  ].join('\n'));
  const started = Date.now();
  const queue = [...sources];
  const results = [];
  const worker = async () => {
    for (let source = queue.shift(); source; source = queue.shift()) {
      const result = await compile(source, flags, logDir);
      const shadowed = shadowedHeaders(result.depFile, torchDirs, systemDirs);
      const warnings = result.output.split('\n').filter((line) => /warning:/.test(line));
      const ok = result.status === 0 && shadowed.length === 0;
      results.push({ ...result, ok });
      const note = warnings.length ? `, ${warnings.length} warning${warnings.length > 1 ? 's' : ''}` : '';
      const lines = [`${ok ? 'OK  ' : 'FAIL'} ${source} (${result.seconds.toFixed(1)} s${note})`];
      if (result.status !== 0) lines.push(...firstProblems(result.output, args.errors).map((line) => `     ${line}`));
      if (shadowed.length) lines.push(`     torch headers found outside ${torchDirs[0]} (missing there):`, ...shadowed.slice(0, args.errors).map((file) => `     ${file}`));
      if (ok) lines.push(...warnings.slice(0, args.errors).map((line) => `     ${line}`));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, sources.length) }, worker));
  const failed = results.filter((result) => !result.ok);
  process.stdout.write(`\n${results.length - failed.length} of ${results.length} files compile against torch ${version}` +
    `${failed.length ? `; FAILED: ${failed.map((result) => result.source).sort().join(', ')}` : ''}` +
    ` (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((error) => {
  process.stderr.write(`check-compile: ${error.stack ?? error}\n`);
  process.exit(2);
});
