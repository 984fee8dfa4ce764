// lora_save is all or nothing: a child process saving two adapters in turn is SIGKILLed at
// random points and the folder must load as exactly one of them; a save that fails leaves
// the old folder; a pair of files from two saves is refused; what a killed save left is
// finished (roll forward) or removed; entries that are not ours survive a save.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { folderSwap } from '../src/io/atomic.js';
import {
  LORA_CONFIG_HASH_KEY, LORA_CONFIG_NAME, LORA_WEIGHTS_NAME, SafetensorsError, TorchError, lora_apply, lora_layers, lora_load, lora_nn_linear,
  lora_save, nn_linear, nn_sequential, torch_load_safetensors, torch_save_safetensors, torch_tensor, with_no_grad, type nn_Module,
} from '../src/index.js';
import { native } from '../src/core/native.js';
import { waitReady } from './fixtures/helpers.js';

const ROOT = join(import.meta.dirname, '..');
const root = mkdtempSync(join(tmpdir(), 'torchlora-save-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => { folderSwap.exchange = true; vi.restoreAllMocks(); });
let counter = 0;
/** A new empty parent folder; the adapter folder is `adapter` inside it. */
const parentFolder = (): string => {
  const path = join(root, `case-${counter++}`);
  mkdirSync(path);
  return path;
};

// ---- two adapters with known values, for a two-layer model ----

interface AdapterSpec { r: number; alpha: number; tensors: Record<string, number[]> }

const SHAPES = (r: number): Record<string, number[]> => ({
  'base_model.model.0.lora_A.weight': [r, 8], 'base_model.model.0.lora_B.weight': [8, r],
  'base_model.model.1.lora_A.weight': [r, 8], 'base_model.model.1.lora_B.weight': [6, r],
});

/** Values exact in float32 and different for every adapter, tensor and element. */
function adapterSpec(r: number, alpha: number, sign: number): AdapterSpec {
  const tensors = Object.fromEntries(Object.entries(SHAPES(r)).map(([key, shape], k) => {
    const count = shape.reduce((a, b) => a * b, 1);
    return [key, Array.from({ length: count }, (_, i) => sign * (1 + i + 100 * k) / 64)];
  }));
  return { r, alpha, tensors };
}

const A = adapterSpec(2, 4, 1);
const B = adapterSpec(4, 16, -1);
/** Same rank as A, other alpha and values: a mixed pair would load without a shape error. */
const C = { ...adapterSpec(2, 8, 0.5), alpha: 8 };

const plainModel = (): nn_Module => nn_sequential(nn_linear(8, 8), nn_linear(8, 6));

function build(spec: AdapterSpec): nn_Module {
  const model = lora_apply(plainModel(), { target_modules: ['0', '1'], r: spec.r, alpha: spec.alpha });
  with_no_grad(() => {
    for (const [path, layer] of lora_layers(model)) {
      for (const [suffix, tensor] of Object.entries(layer.adapter_state('default'))) {
        tensor.copy_(torch_tensor(new Float32Array(spec.tensors[`base_model.model.${path}.${suffix}`]!), { shape: tensor.shape }));
      }
    }
  });
  return model;
}

const bytes = (values: ArrayBufferView): Buffer => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/** Which of `specs` the folder loads as: its config and every tensor, to the bit; throws if none. */
function loadsAs(dir: string, specs: Record<string, AdapterSpec>): string {
  const model = lora_load(plainModel(), dir);
  const config = JSON.parse(readFileSync(join(dir, LORA_CONFIG_NAME), 'utf8')) as { r: number; lora_alpha: number };
  const loaded: Record<string, Buffer> = {};
  for (const [path, layer] of lora_layers(model)) {
    expect([layer.r.default, layer.lora_alpha.default]).toEqual([config.r, config.lora_alpha]);
    for (const [suffix, tensor] of Object.entries(layer.adapter_state('default'))) loaded[`base_model.model.${path}.${suffix}`] = bytes(tensor.to_typed_array());
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.r !== config.r || spec.alpha !== config.lora_alpha) continue;
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(spec.tensors).sort());
    for (const [key, values] of Object.entries(spec.tensors)) expect(loaded[key]!.equals(bytes(new Float32Array(values))), `${name} ${key}`).toBe(true);
    return name;
  }
  throw new Error(`the folder holds r = ${config.r}, lora_alpha = ${config.lora_alpha}: none of ${Object.keys(specs).join(', ')}`);
}

/** A process id that is not in use any more: a child that has exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  return pid!;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

// ---- the kill test ----

/** mulberry32: a small seeded generator, so a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The child runs the built package; refuse to test an old build of the files this is about.
function checkBuilt(): void {
  for (const [source, built] of [['src/io/atomic.ts', 'dist/src/io/atomic.js'], ['src/lora/files.ts', 'dist/src/lora/files.js'], ['src/io/safetensors.ts', 'dist/src/io/safetensors.js']]) {
    const builtPath = join(ROOT, built!);
    if (!existsSync(builtPath) || statSync(builtPath).mtimeMs < statSync(join(ROOT, source!)).mtimeMs) {
      throw new Error(`${built} is missing or older than ${source}: run \`npm run build:ts\` (npm test does it)`);
    }
  }
}


const exited = (child: ChildProcess): Promise<void> => new Promise((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve();
  else child.on('exit', () => resolve());
});
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a save killed at a random point', () => {
  it('leaves a folder that loads as exactly the old or the new adapter, and the next save leaves no temporary', async () => {
    checkBuilt();
    const specPath = join(root, 'spec.json');
    writeFileSync(specPath, JSON.stringify({ A, B }));
    const rng = random(20261129);
    const TRIALS = 50;
    // Children saving at once, each in its own folder. A child costs about a second of CPU
    // (node and libtorch starting), so 50 take ~30 s on two free cores; 40-80 s were measured
    // on two cores shared with other work. Each trial is bounded (waitReady), and so the test.
    const LANES = 3;
    const seen: Record<string, number> = { A: 0, B: 0 };
    let leftovers = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      const parent = parentFolder();
      const dir = join(parent, 'adapter');
      while (next < TRIALS) {
        const trial = next++;
        const mode = trial % 2 === 0 ? 'exchange' : 'renames';
        const delay = rng() * 100;
        const child = spawn(process.execPath, [join(ROOT, 'test', 'fixtures', 'save_loop.mjs'), dir, mode, specPath], {
          stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' },
        });
        try {
          await waitReady(child);
          await sleep(delay);
        } finally {
          child.kill('SIGKILL');
          await exited(child);
        }
        const which = loadsAs(dir, { A, B });
        seen[which]! += 1;
        if (readdirSync(parent).length > 1) leftovers += 1;
        lora_save(lora_load(plainModel(), dir), dir); // the next save, from this (alive) process
        expect(readdirSync(parent), `trial ${trial} (${mode}, killed ${delay.toFixed(1)} ms after ready)`).toEqual(['adapter']);
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    // Kills landed at different points: both adapters were found, and some saves were cut short.
    expect(seen.A).toBeGreaterThan(0);
    expect(seen.B).toBeGreaterThan(0);
    expect(leftovers).toBeGreaterThan(0);
  }, 180_000);
});

// ---- the pieces, one at a time ----

describe('the folder swap', () => {
  it('exchanges two paths in one step (native exchangePaths), and returns the errno when it cannot', () => {
    const parent = parentFolder();
    const [a, b] = [join(parent, 'a'), join(parent, 'b')];
    writeFileSync(a, 'first');
    mkdirSync(b);
    expect(native.exchangePaths(a, b)).toBe(0);
    expect(statSync(a).isDirectory()).toBe(true);
    expect(readFileSync(b, 'utf8')).toBe('first');
    expect(native.exchangePaths(join(parent, 'missing'), b)).toBe(2); // ENOENT
  });

  it('swaps the folder with renameat2 by default, and replaces it by two renames where that is refused', () => {
    const spy = vi.spyOn(native, 'exchangePaths');
    const dir = join(parentFolder(), 'adapter');
    lora_save(build(A), dir);
    expect(spy).not.toHaveBeenCalled(); // no folder yet: one rename
    lora_save(build(B), dir);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(loadsAs(dir, { A, B })).toBe('B');
    folderSwap.exchange = false;
    lora_save(build(A), dir);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(loadsAs(dir, { A, B })).toBe('A');
    expect(readdirSync(join(dir, '..'))).toEqual(['adapter']);
  });

  it('takes the two-rename path when the file system answers EINVAL, as one without RENAME_EXCHANGE does', () => {
    const spy = vi.spyOn(native, 'exchangePaths').mockReturnValue(22);
    const dir = join(parentFolder(), 'adapter');
    lora_save(build(A), dir);
    lora_save(build(B), dir);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(loadsAs(dir, { A, B })).toBe('B');
    expect(readdirSync(join(dir, '..'))).toEqual(['adapter']);
  });

  it('reports another exchange failure as a TorchError naming dir, and leaves the old folder', () => {
    vi.spyOn(native, 'exchangePaths').mockReturnValue(16); // EBUSY
    const parent = parentFolder();
    const dir = join(parent, 'adapter');
    lora_save(build(A), dir);
    const error = catchError(() => lora_save(build(B), dir));
    expect(error).toBeInstanceOf(TorchError);
    expect(error).toMatchObject({ code: 'EBUSY', path: dir });
    expect((error as Error).message).toMatch(/for dir but the file system refused ".*adapter" \(EBUSY: the folder is in use or a mount point \(one cannot be replaced: save into a folder inside it\)\)$/);
    expect(loadsAs(dir, { A, B })).toBe('A');
    expect(readdirSync(parent)).toEqual(['adapter']);
  });

  it('rolls forward a two-rename swap killed between its renames, on load and on save', () => {
    for (const finish of [(dir: string) => loadsAs(dir, { A, B }), (dir: string) => { lora_save(build(B), dir); return loadsAs(dir, { A, B }); }]) {
      const parent = parentFolder();
      const dir = join(parent, 'adapter');
      lora_save(build(A), dir);
      const fresh = join(parent, 'fresh');
      lora_save(build(B), fresh);
      writeFileSync(join(fresh, 'README.md'), 'model card'); // was carried into the new folder
      // What a save killed after its first rename leaves: the old folder at .old, the new at .tmp.
      const pid = deadPid();
      renameSync(dir, join(parent, `.adapter.torchlora-${pid}-0a1b2c.old`));
      renameSync(fresh, join(parent, `.adapter.torchlora-${pid}-0a1b2c.tmp`));
      expect(finish(dir)).toBe('B');
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('model card');
    }
  });

  it('removes temporaries whose process is gone, and keeps those of a live process', () => {
    const parent = parentFolder();
    const dir = join(parent, 'adapter');
    const dead = `.adapter.torchlora-${deadPid()}-00ff.tmp`;
    const live = `.adapter.torchlora-${process.ppid}-00ff.tmp`;
    const other = `.other.torchlora-${deadPid()}-00ff.tmp`;
    for (const name of [dead, live, other]) mkdirSync(join(parent, name));
    writeFileSync(join(parent, dead, LORA_CONFIG_NAME), '{');
    lora_save(build(A), dir);
    expect(readdirSync(parent).sort()).toEqual([live, other, 'adapter'].sort());
  });

  it('removes a killed torch_save_safetensors temporary on the next save of that file', () => {
    const parent = parentFolder();
    const pid = deadPid();
    writeFileSync(join(parent, `.weights.safetensors.torchlora-${pid}-00ff.tmp`), 'half a file');
    writeFileSync(join(parent, `.weights.safetensors.${pid}.00ff.tmp`), 'an earlier version\'s half file');
    torch_save_safetensors({ w: torch_tensor([1, 2]) }, join(parent, 'weights.safetensors'));
    expect(readdirSync(parent)).toEqual(['weights.safetensors']);
  });

  it("drops the temporaries earlier versions' killed saves left inside the folder, instead of carrying them over", () => {
    const dir = join(parentFolder(), 'adapter');
    lora_save(build(A), dir);
    const pid = deadPid();
    const stale = [`.${LORA_WEIGHTS_NAME}.${pid}.a1b2c3.tmp`, `.${LORA_CONFIG_NAME}.${pid}.d4e5f6.tmp`];
    const live = `.${LORA_CONFIG_NAME}.${process.ppid}.d4e5f6.tmp`;
    for (const name of [...stale, live]) writeFileSync(join(dir, name), 'half a file');
    lora_save(build(B), dir);
    expect(readdirSync(dir).sort()).toEqual([live, LORA_CONFIG_NAME, LORA_WEIGHTS_NAME].sort());
  });
});

describe('entries of the folder that are not ours', () => {
  it('survive a save: files (hard-linked, not copied), subfolders of other adapters, symbolic links', () => {
    const parent = parentFolder();
    const dir = join(parent, 'adapter');
    lora_save(build(A), dir);
    writeFileSync(join(dir, 'README.md'), '# model card');
    mkdirSync(join(dir, 'task_b', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'task_b', LORA_CONFIG_NAME), '{"r": 4}');
    writeFileSync(join(dir, 'task_b', 'nested', 'notes.txt'), 'notes');
    symlinkSync('README.md', join(dir, 'card'));
    chmodSync(dir, 0o750);
    const readme = statSync(join(dir, 'README.md')).ino;
    for (const mode of [true, false]) {
      folderSwap.exchange = mode;
      lora_save(build(B), dir);
      expect(loadsAs(dir, { A, B })).toBe('B');
      expect(readdirSync(dir).sort()).toEqual(['README.md', LORA_CONFIG_NAME, LORA_WEIGHTS_NAME, 'card', 'task_b'].sort());
      expect(statSync(join(dir, 'README.md')).ino).toBe(readme);
      expect(readFileSync(join(dir, 'task_b', LORA_CONFIG_NAME), 'utf8')).toBe('{"r": 4}');
      expect(readFileSync(join(dir, 'task_b', 'nested', 'notes.txt'), 'utf8')).toBe('notes');
      expect(readlinkSync(join(dir, 'card'))).toBe('README.md');
      expect(statSync(dir).mode & 0o777).toBe(0o750);
    }
    expect(readdirSync(parent)).toEqual(['adapter']);
  });

  it('keep a link to the folder a link: the folder it points to is replaced', () => {
    const parent = parentFolder();
    const real = join(parent, 'real');
    lora_save(build(A), real);
    symlinkSync('real', join(parent, 'link'));
    lora_save(build(B), join(parent, 'link'));
    expect(readlinkSync(join(parent, 'link'))).toBe('real');
    expect(loadsAs(real, { A, B })).toBe('B');
    expect(readdirSync(parent).sort()).toEqual(['link', 'real']);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('a save that fails', () => {
  it('half-way through writing (a tensor with no data) leaves the old folder and no temporary', () => {
    const parent = parentFolder();
    const dir = join(parent, 'adapter');
    lora_save(build(A), dir);
    writeFileSync(join(dir, 'README.md'), 'kept');
    const before = readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))] as const);
    const meta = lora_nn_linear(nn_linear(8, 8, { device: 'meta' }), { r: 2 });
    expect(() => lora_save(meta, dir)).toThrow(SafetensorsError);
    expect(() => lora_save(meta, dir)).toThrow(/could not read tensor "base_model.model.lora_A.weight"/);
    for (const [name, content] of before) expect(readFileSync(join(dir, name)).equals(content), name).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(before.map(([name]) => name).sort());
    expect(readdirSync(parent)).toEqual(['adapter']);
  });

  it('onto a file refuses with a TypeError naming dir, and leaves the file', () => {
    const parent = parentFolder();
    const dir = join(parent, 'adapter');
    writeFileSync(dir, 'not a folder');
    const error = catchError(() => lora_save(build(A), dir));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ENOTDIR', path: dir });
    expect((error as Error).message).toBe(`Expected a folder path where an adapter can be written for dir but received ${JSON.stringify(dir)} (ENOTDIR: not a directory)`);
    expect(readFileSync(dir, 'utf8')).toBe('not a folder');
    expect(readdirSync(parent)).toEqual(['adapter']);
  });

  it('where the file system refuses (sysfs) is a TorchError with the code', () => {
    if (!existsSync('/sys/kernel')) return; // Linux only
    const error = catchError(() => lora_save(build(A), '/sys/torchlora-nope/adapter'));
    expect(error).toBeInstanceOf(TorchError);
    expect(error).toMatchObject({ path: '/sys/torchlora-nope/adapter' });
    expect(['EPERM', 'EACCES', 'EROFS']).toContain((error as TorchError).code);
    expect((error as Error).message).toMatch(/^Expected a folder path that can be made for dir but the file system refused "\/sys\/torchlora-nope\/adapter" \(E[A-Z]+: /);
  });

  it('of the working folder, or a folder above it, is refused before anything is written', () => {
    const model = build(A);
    for (const dir of ['.', '..', process.cwd()]) {
      expect(() => lora_save(model, dir)).toThrow(TypeError);
      expect(() => lora_save(model, dir)).toThrow(`Expected a folder that does not hold the working folder ${JSON.stringify(process.cwd())} (a save replaces the folder whole) for dir but received ${JSON.stringify(dir)}`);
    }
    expect(existsSync(join(process.cwd(), LORA_CONFIG_NAME))).toBe(false);
  });
});

describe('making folders', () => {
  it('makes every missing parent of dir', () => {
    const dir = join(parentFolder(), 'x', 'y', 'z', 'adapter');
    lora_save(build(A), dir);
    expect(loadsAs(dir, { A, B })).toBe('A');
  });

  it('refuses a path through a file with a TypeError naming dir', () => {
    const parent = parentFolder();
    writeFileSync(join(parent, 'file'), '');
    const dir = join(parent, 'file', 'adapter');
    expect(() => lora_save(build(A), dir)).toThrow(TypeError);
    expect(() => lora_save(build(A), dir)).toThrow(`Expected a folder path that can be made for dir but received ${JSON.stringify(dir)} (ENOTDIR: not a directory)`);
  });

  it('fails fast under /proc, where Node 20\'s recursive mkdirSync never returns (in a child, so a hang is caught)', () => {
    if (!existsSync('/proc/self')) return; // Linux only
    checkBuilt();
    const script = `import('${join(ROOT, 'dist', 'src', 'index.js')}').then((t) => {
      const model = t.lora_nn_linear(t.nn_linear(2, 2), { r: 1 });
      try { t.lora_save(model, '/proc/nope/x'); console.log('saved'); }
      catch (e) { console.log(JSON.stringify({ type: e.constructor.name, code: e.code, path: e.path, message: e.message })); }
    });`;
    const started = Date.now();
    const result = spawnSync(process.execPath, ['-e', script], { timeout: 30_000, encoding: 'utf8' });
    expect(result.signal, 'the child was killed at the timeout: the save hung').toBeNull();
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(JSON.parse(result.stdout)).toEqual({
      type: 'TypeError', code: 'ENOENT', path: '/proc/nope/x',
      message: 'Expected a folder path that can be made for dir but received "/proc/nope/x" (ENOENT: no such file or directory)',
    });
  });
});

describe('a pair of files from two saves', () => {
  function mixed(other: AdapterSpec): { dir: string; error: unknown } {
    const parent = parentFolder();
    const [dir, second] = [join(parent, 'adapter'), join(parent, 'second')];
    lora_save(build(A), dir);
    lora_save(build(other), second);
    writeFileSync(join(dir, LORA_CONFIG_NAME), readFileSync(join(second, LORA_CONFIG_NAME)));
    return { dir, error: catchError(() => lora_load(plainModel(), dir)) };
  }

  it('is refused, also when the shapes agree (same r, another lora_alpha would load silently)', () => {
    for (const other of [B, C]) {
      const { dir, error } = mixed(other);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain(`for dir but received ${JSON.stringify(dir)}, whose two files come from different saves`);
    }
  });

  it('records the SHA-256 of the config\'s settings in the weights; files without it (PEFT\'s) load as before', () => {
    const dir = join(parentFolder(), 'adapter');
    lora_save(build(C), dir);
    const weights = join(dir, LORA_WEIGHTS_NAME);
    const { tensors, metadata } = torch_load_safetensors(weights);
    const { base_model_name_or_path, task_type, inference_mode, ...settings } = JSON.parse(readFileSync(join(dir, LORA_CONFIG_NAME), 'utf8')) as Record<string, unknown>;
    expect([base_model_name_or_path, task_type, inference_mode]).toEqual([null, null, true]);
    expect(metadata).toEqual({ format: 'pt', [LORA_CONFIG_HASH_KEY]: sha256(Buffer.from(JSON.stringify(Object.fromEntries(Object.keys(settings).sort().map((k) => [k, settings[k]]))))) });
    torch_save_safetensors(tensors, weights, { format: 'pt' });
    expect(loadsAs(dir, { A, C })).toBe('C');
  });

  it('loads a config whose descriptive keys were edited by hand (base_model_name_or_path, task_type, revision)', () => {
    const dir = join(parentFolder(), 'adapter');
    lora_save(build(C), dir);
    const config = JSON.parse(readFileSync(join(dir, LORA_CONFIG_NAME), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, LORA_CONFIG_NAME), JSON.stringify({ ...config, base_model_name_or_path: 'meta-llama/Llama-3.2-1B', task_type: 'CAUSAL_LM', revision: 'main' }));
    expect(loadsAs(dir, { A, C })).toBe('C');
    writeFileSync(join(dir, LORA_CONFIG_NAME), JSON.stringify({ ...config, lora_alpha: 99 }));
    expect(catchError(() => lora_load(plainModel(), dir))).toBeInstanceOf(TypeError);
  });
});
