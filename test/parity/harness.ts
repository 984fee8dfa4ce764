// The parity harness: the same computation in Python PyTorch and here, compared.
//
// For each case, this side makes the inputs (after torch_manual_seed(0)) and writes them as
// a safetensors file; one Python process (reference.py) runs every case's Python twin on those
// inputs and writes its outputs, its gradients and the upstream gradients it used; then this
// side runs the case on the same inputs, calls backward() with Python's upstream gradients,
// and compares. On the same libtorch build and one thread, results must be bit-identical.
//
// Adding a case: `{ name, inputs, grad, run }` in a *.parity.test.ts file here, and a
// function decorated with `@case("<name>")` in a test/parity/cases_*.py file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Tensor, torch_config, torch_load_safetensors, torch_manual_seed, torch_randn, torch_save_safetensors, torch_set_num_threads, torch_zeros,
  type nn_Module,
} from '../../src/index.js';
import { PYTHON } from '../../bench/python.js';

export type Tensors = Record<string, Tensor>;

export interface ParityCase {
  /** Unique; the Python twin is the function registered with `@case("<name>")`. */
  name: string;
  /** Makes the inputs, after torch_manual_seed(0); both sides read them from one file. */
  inputs?: () => Tensors;
  /** Inputs that require grad. Both sides call backward() on every output that requires grad. */
  grad?: string[];
  /** The computation (after torch_manual_seed(0) again), returning the tensors to compare. */
  run: (inputs: Tensors) => Tensors;
  /**
   * Where the two sides may round differently even on the same libtorch (PyTorch takes a
   * fused kernel here that torchlora does not, and whether the two agree depends on the
   * CPU): the values must be within this tolerance, and `why` says why bits may differ.
   */
  tolerance?: Tolerance & { why: string };
  /**
   * The Python twin calls what PyTorch added in version `torch` ("2.1"): a Python torch before
   * it (Debian 12's 1.13, in CI's second lane) cannot run the twin, so there the case is skipped,
   * its title saying `why`.
   */
  needs?: { torch: string; why: string };
}

/** Whether the Python torch `version` ("1.13.0a0") is at least `wanted` ("2.1"). */
function atLeast(version: string | undefined, wanted: string): boolean {
  const [major = 0, minor = 0] = (version ?? '').split('.').map((part) => Number.parseInt(part, 10));
  const [wantedMajor = 0, wantedMinor = 0] = wanted.split('.').map((part) => Number.parseInt(part, 10));
  return major > wantedMajor || (major === wantedMajor && minor >= wantedMinor);
}

export { PYTHON };
const HERE = dirname(fileURLToPath(import.meta.url));

export interface PythonTorch {
  available: boolean;
  /** Why not, when it is not available. */
  reason: string;
  version?: string;
  /** The libtorch_cpu shared library Python's torch runs on. */
  libtorch?: string;
}

let pythonTorch: PythonTorch | undefined;

/** Whether `PYTHON` can `import torch`, asked once per process. */
export function python_torch(): PythonTorch {
  if (pythonTorch !== undefined) return pythonTorch;
  const probe = [
    'import json, os, torch',
    'maps = open("/proc/self/maps").read().split() if os.path.exists("/proc/self/maps") else []',
    'lib = sorted({p for p in maps if "libtorch_cpu" in p})',
    'print(json.dumps({"version": torch.__version__, "libtorch": os.path.realpath(lib[0]) if lib else None}))',
  ].join('\n');
  const result = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8', timeout: 120_000 });
  if (result.error !== undefined) {
    pythonTorch = { available: false, reason: `${PYTHON} could not be run (${result.error.message}); set TORCHLORA_PYTHON to a Python with PyTorch` };
  } else if (result.status !== 0) {
    const last = result.stderr.trim().split('\n').pop() ?? '';
    pythonTorch = { available: false, reason: `${PYTHON} cannot import torch (${last}); on Debian: apt-get install python3-torch` };
  } else {
    const info = JSON.parse(result.stdout) as { version: string; libtorch: string | null };
    pythonTorch = { available: true, reason: '', version: info.version, libtorch: info.libtorch ?? undefined };
  }
  return pythonTorch;
}

/**
 * `describe` for tests that need Python PyTorch. Without it: under CI (process.env.CI) the
 * suite fails; elsewhere it is skipped, and says so loudly, with the reason.
 */
export function describe_with_python(title: string, body: () => void): void {
  describe_needing(title, python_torch(), Boolean(process.env.CI), 'Python PyTorch, which CI must provide', (reason) => `Python PyTorch is required under CI: ${reason}`, body);
}

/**
 * `describe` for tests that need something outside this process (`need`): without it, a suite
 * that `mustRun` fails with one test that says what it needed (`required`, and `error` of the
 * reason); elsewhere it is skipped, and says so loudly, with the reason.
 */
export function describe_needing(
  title: string, need: { available: boolean; reason: string }, mustRun: boolean, required: string, error: (reason: string) => string, body: () => void,
): void {
  if (need.available) {
    describe(title, body);
  } else if (mustRun) {
    describe(title, () => {
      it(`needs ${required}`, () => {
        throw new Error(error(need.reason));
      });
    });
  } else {
    const banner = `SKIPPED "${title}": ${need.reason}`;
    console.warn(`\n${'!'.repeat(banner.length)}\n${banner}\n${'!'.repeat(banner.length)}\n`);
    describe.skipIf(true)(`${title} [skipped: ${need.reason}]`, body);
  }
}

/** Runs `PYTHON` on a script in test/parity with one libtorch thread; throws with its stderr on failure. */
export function run_python(script: string, args: string[]): string {
  return run_script(join(HERE, script), args, { OMP_NUM_THREADS: '1' });
}

/** Runs `PYTHON` on the script at `path` with `env` added; its stdout, or throws with its stderr. */
export function run_script(path: string, args: string[], env: Record<string, string>): string {
  const result = spawnSync(PYTHON, [path, ...args], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`${basename(path)} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

/** The libtorch_cpu shared library this process runs on. */
function ourLibtorch(): string | undefined {
  try {
    const path = readFileSync('/proc/self/maps', 'utf8').split(/\s+/).find((part) => part.includes('libtorch_cpu'));
    return path === undefined ? undefined : realpathSync(path);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- comparison

export interface Tolerance { rtol: number; atol: number }
// Used only when Python runs on another libtorch build, where kernels may round differently.
const TOLERANCES: Record<string, Tolerance> = {
  float64: { rtol: 1e-12, atol: 1e-14 },
  float32: { rtol: 1e-5, atol: 1e-6 },
  float16: { rtol: 1e-2, atol: 1e-3 },
  bfloat16: { rtol: 1e-2, atol: 1e-3 },
};
const EXACT: Tolerance = { rtol: 0, atol: 0 };

export interface CaseReport {
  name: string;
  maxAbs: number;
  maxRel: number;
  verdict: 'identical' | 'within tolerance' | 'FAIL' | 'ERROR';
  problems: string[];
}

function numbers(tensor: Tensor): ArrayLike<number | bigint> {
  return tensor.dtype === 'float16' || tensor.dtype === 'bfloat16' ? tensor.to({ dtype: 'float32' }).to_typed_array() : tensor.to_typed_array();
}

function bytesOf(tensor: Tensor): Uint8Array {
  const values = tensor.to_typed_array();
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * Compares ours against Python's, key by key: dtype, shape, then every element: bit for bit
 * on the same build unless the case states a tolerance, else within the dtype's tolerance.
 */
function compare(ours: Tensors, theirs: Tensors, sameBuild: boolean, name: string, stated?: Tolerance): CaseReport {
  const report: CaseReport = { name, maxAbs: 0, maxRel: 0, verdict: 'identical', problems: [] };
  const keys = [...new Set([...Object.keys(ours), ...Object.keys(theirs)])].sort();
  let bitsDiffer = false;
  for (const key of keys) {
    const a = ours[key];
    const b = theirs[key];
    if (a === undefined || b === undefined) {
      report.problems.push(`${key}: only ${a === undefined ? 'Python' : 'torchlora'} has it`);
      continue;
    }
    if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) {
      report.problems.push(`${key}: torchlora ${a.dtype}[${a.shape}] vs Python ${b.dtype}[${b.shape}]`);
      continue;
    }
    if (Buffer.compare(bytesOf(a), bytesOf(b)) === 0) continue;
    bitsDiffer = true;
    const exact = sameBuild && stated === undefined;
    const tolerance = exact ? EXACT : stated ?? TOLERANCES[a.dtype] ?? EXACT;
    const x = numbers(a);
    const y = numbers(b);
    let outside = 0;
    let keyMaxAbs = 0;
    for (let i = 0; i < x.length; i++) {
      const u = Number(x[i]);
      const v = Number(y[i]);
      const bothNaN = Number.isNaN(u) && Number.isNaN(v);
      const abs = bothNaN || u === v ? 0 : Math.abs(u - v);
      const rel = abs === 0 ? 0 : abs / Math.abs(v);
      keyMaxAbs = Math.max(keyMaxAbs, Number.isNaN(abs) ? Infinity : abs);
      report.maxRel = Math.max(report.maxRel, Number.isNaN(rel) ? Infinity : rel);
      if (!(abs <= tolerance.atol + tolerance.rtol * Math.abs(v))) outside += 1;
    }
    report.maxAbs = Math.max(report.maxAbs, keyMaxAbs);
    if (exact) report.problems.push(`${key}: bits differ (max abs diff ${keyMaxAbs})`);
    else if (outside > 0) report.problems.push(`${key}: ${outside} of ${x.length} elements outside rtol ${tolerance.rtol}, atol ${tolerance.atol}`);
  }
  report.verdict = report.problems.length > 0 ? 'FAIL' : bitsDiffer ? 'within tolerance' : 'identical';
  return report;
}

function formatTable(reports: CaseReport[], mode: string): string {
  const rows = reports.map((r) => [r.name, r.maxAbs.toExponential(2), r.maxRel.toExponential(2), r.verdict]);
  const header = ['case', 'max abs diff', 'max rel diff', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const failed = reports.filter((r) => r.verdict === 'FAIL' || r.verdict === 'ERROR').length;
  return [
    `parity with Python PyTorch: ${mode}`,
    line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line),
    `${reports.length} cases: ${reports.length - failed} green, ${failed} failed`,
  ].join('\n');
}

// ---------------------------------------------------------------- the suite

interface PythonResult { ok: boolean; error?: string }

function sorted(tensors: Tensors): string[] { return Object.keys(tensors).sort(); }

function runOurs(spec: ParityCase, inputFile: string, upstream: Tensors): Tensors {
  const { tensors: inputs } = torch_load_safetensors(inputFile);
  for (const name of spec.grad ?? []) inputs[name]!.requires_grad_();
  torch_manual_seed(0);
  const outputs = spec.run(inputs);
  for (const name of sorted(outputs)) {
    const output = outputs[name]!;
    const gradient = upstream[name];
    if (!output.requires_grad) continue;
    if (gradient === undefined) throw new Error(`output ${name} requires grad here but Python gave no upstream gradient for it`);
    output.backward(gradient.clone(), { retain_graph: true }); // autograd may keep and add into what it is given
  }
  const results: Tensors = {};
  for (const name of sorted(outputs)) results[`out/${name}`] = outputs[name]!.detach();
  for (const name of spec.grad ?? []) {
    const grad = inputs[name]!.grad;
    if (grad !== undefined) results[`grad/${name}`] = grad;
  }
  return results;
}

/**
 * Registers one vitest suite that runs `cases` in Python and here and compares them, and
 * prints the table of differences at the end. Needs Python PyTorch (see describe_with_python).
 */
export function parity_suite(title: string, cases: ParityCase[]): void {
  const names = new Set<string>();
  for (const spec of cases) {
    if (names.has(spec.name)) throw new Error(`two parity cases are named ${spec.name}`);
    names.add(spec.name);
  }
  describe_with_python(title, () => {
    const version = python_torch().version;
    const skipped = cases.filter((spec) => spec.needs !== undefined && !atLeast(version, spec.needs.torch));
    for (const spec of skipped) it.skip(`${spec.name} [skipped: Python torch ${version} is older than ${spec.needs!.torch}: ${spec.needs!.why}]`, () => {});
    cases = cases.filter((spec) => !skipped.includes(spec));
    const reports: CaseReport[] = [];
    let folder = '';
    let results: Record<string, PythonResult> = {};
    let sameBuild = false;
    let mode = '';

    beforeAll(() => {
      torch_set_num_threads(1);
      const python = python_torch();
      const ours = ourLibtorch();
      sameBuild = ours !== undefined && ours === python.libtorch;
      mode = sameBuild
        ? `same libtorch (${ours}), one thread: results must be bit-identical`
        : `different libtorch builds (Python torch ${python.version} on ${python.libtorch}, ours ${torch_config().version} on ${ours}): `
          + 'compared within a tolerance (float32: rtol 1e-5, atol 1e-6; float64: 1e-12; float16/bfloat16: 1e-2; integers exact)';
      folder = mkdtempSync(join(tmpdir(), 'torchlora-parity-'));
      const manifest = {
        threads: 1,
        results: join(folder, 'results.json'),
        cases: cases.map((spec, i) => {
          torch_manual_seed(0);
          const inputs = spec.inputs?.() ?? {};
          const file = join(folder, `${i}.in.safetensors`);
          torch_save_safetensors(inputs, file);
          return { name: spec.name, inputs: file, outputs: join(folder, `${i}.out.safetensors`), grad: spec.grad ?? [] };
        }),
      };
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
      run_python('reference.py', [join(folder, 'manifest.json')]);
      results = JSON.parse(readFileSync(manifest.results, 'utf8')) as Record<string, PythonResult>;
    });

    afterAll(() => {
      if (reports.length > 0) console.log(`\n${formatTable(reports, mode)}\n`);
      if (folder !== '') rmSync(folder, { recursive: true, force: true });
    });

    cases.forEach((spec, i) => {
      const stated = spec.tolerance;
      it(stated === undefined ? spec.name : `${spec.name} [within rtol ${stated.rtol}, atol ${stated.atol}: ${stated.why}]`, () => {
        const python = results[spec.name];
        if (python === undefined || !python.ok) {
          reports.push({ name: spec.name, maxAbs: NaN, maxRel: NaN, verdict: 'ERROR', problems: [] });
          throw new Error(`the Python side of ${spec.name} failed:\n${python?.error ?? 'no result'}`);
        }
        const { tensors: theirs } = torch_load_safetensors(join(folder, `${i}.out.safetensors`));
        const upstream: Tensors = {};
        const expected: Tensors = {};
        for (const [key, tensor] of Object.entries(theirs)) {
          if (key.startsWith('upstream/')) upstream[key.slice('upstream/'.length)] = tensor;
          else expected[key] = tensor;
        }
        let ours: Tensors;
        try {
          ours = runOurs(spec, join(folder, `${i}.in.safetensors`), upstream);
        } catch (error) {
          reports.push({ name: spec.name, maxAbs: NaN, maxRel: NaN, verdict: 'ERROR', problems: [] });
          throw error;
        }
        const report = compare(ours, expected, sameBuild, spec.name, stated);
        reports.push(report);
        expect(report.problems, `${spec.name} differs from PyTorch`).toEqual([]);
      });
    });
  });
}

// ---------------------------------------------------------------- layers

/**
 * Runs `module`'s forward and backward inside a case, so that its parameters' gradients can
 * be compared too (the harness compares only inputs' gradients). Each output that requires
 * grad gets backward() with an upstream gradient from torch_randn, drawn in sorted key order
 * (cases_nn.py's forward_backward draws the same). Returns the outputs, every parameter as it
 * is (`<name>`) and its gradient (`<name>.grad`, densified when sparse), and with `buffers`
 * every buffer (`buffer.<name>`: running statistics).
 */
export function forward_backward(module: nn_Module, outputs: Tensors, options: { buffers?: boolean } = {}): Tensors {
  const result: Tensors = {};
  for (const key of Object.keys(outputs).sort()) {
    const output = outputs[key]!;
    if (output.requires_grad) output.backward(torch_randn(output.shape), { retain_graph: true });
    result[key] = output.detach();
  }
  for (const [name, parameter] of Object.entries(module.named_parameters())) {
    result[name] = parameter.detach();
    const grad = parameter.grad;
    if (grad !== undefined) result[`${name}.grad`] = torch_zeros(grad.shape).add(grad);
  }
  if (options.buffers === true) for (const [name, buffer] of Object.entries(module.named_buffers())) result[`buffer.${name}`] = buffer.clone();
  return result;
}
