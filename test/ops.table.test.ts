/// <reference types="vite/client" />
// The op table (src/ops/table/): the generated files are what the table makes, every schema in
// it is the linked libtorch's own (so each generated call passes its arguments where the
// operator expects them), generated functions check their arguments by schema type, and
// aten() reaches any other operator. Values against PyTorch: test/parity/ops.parity.test.ts.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { aten, Tensor, TorchError, torch_atan2, torch_index_select, torch_mm, torch_ones, torch_tensor, torch_trunc } from '../src/index.js';
import { Op } from '../src/core/dispatch.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// The files an entry's `impl` may name.
const IMPLS = import.meta.glob('../src/ops/*.ts');

interface Entry { name: string; function?: string; schema?: string | string[]; impl?: string; variants?: string }

async function table(): Promise<Entry[]> {
  const dir = join(root, 'src', 'ops', 'table');
  const entries: Entry[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts') && name !== 'entry.ts')) {
    const js = ts.transpileModule(readFileSync(join(dir, file), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext } }).outputText;
    entries.push(...((await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`)) as { default: Entry[] }).default);
  }
  return entries;
}

// Each argument's type and name, without its default (1.13 and 2.x print some defaults
// differently), 2.x's SymInt read as 1.13's int, and alias annotations dropped.
const argumentsOf = (schema: string): string[] => {
  const inside = schema.slice(schema.indexOf('(') + 1, schema.lastIndexOf(') ->'));
  return inside.split(/, (?![^[]*\])/).filter((part) => part !== '*').map((part) => part.replace(/=.*$/, '').replace(/SymInt/g, 'int').replace(/\([a-z]!?\)/, ''));
};

describe('the op table', () => {
  it('the generated files are what the table makes (npm run gen-ops)', () => {
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'gen-ops.mjs'), '--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('declares each schema as the linked libtorch does: the same arguments, in the same order, of the same types', async () => {
    const schemas = (await table()).flatMap((entry) => (entry.schema === undefined ? [] : typeof entry.schema === 'string' ? [entry.schema] : entry.schema));
    expect(schemas.length).toBeGreaterThan(50);
    for (const schema of schemas) {
      const [qualified] = schema.split('(');
      const [name, overload = ''] = qualified!.split('.');
      const linked = new Op(`aten::${name}`, overload).schema();
      expect(argumentsOf(linked.schema.replace(/^aten::/, '')), schema).toEqual(argumentsOf(schema));
    }
  });

  it('names no op twice, and every impl names a function that exists', async () => {
    const entries = await table();
    expect(new Set(entries.map((entry) => entry.name)).size).toBe(entries.length);
    for (const entry of entries.filter((item) => item.impl)) {
      const module = (await IMPLS[`../src/ops/${entry.impl}.ts`]!()) as Record<string, unknown>;
      expect(typeof module[entry.function ?? `torch_${entry.name}`], entry.name).toBe('function');
      if ((entry.variants ?? 'function, method').includes('method')) {
        expect(typeof (Tensor.prototype as unknown as Record<string, unknown>)[entry.name], entry.name).toBe('function');
      }
    }
  });
});

describe('generated ops', () => {
  it('compute what the operator computes, as a function and as a method', () => {
    const x = torch_tensor([[-1.5, 2.7], [0.2, -0.9]]);
    expect(torch_trunc(x).to_array()).toEqual([[-1, 2], [0, -0]]);
    expect(x.trunc().equal(torch_trunc(x))).toBe(true);
    // Each row's sum, rounded once to float32 as one float32 addition is.
    const f = Math.fround;
    expect(torch_mm(x, torch_ones(2, 1)).to_array()).toEqual([[f(f(-1.5) + f(2.7))], [f(f(0.2) + f(-0.9))]]);
    expect(torch_atan2(torch_tensor([1]), torch_tensor([1])).item()).toBeCloseTo(Math.PI / 4, 6);
  });

  it('take R\'s named arguments', () => {
    const x = torch_tensor([[1, 2], [3, 4]]);
    const index = torch_tensor([1], { dtype: 'int64' });
    expect(torch_index_select(x, { dim: 1, index }).to_array()).toEqual([[2], [4]]);
    expect(x.index_select({ dim: 0, index }).to_array()).toEqual([[3, 4]]);
    expect(() => torch_index_select(x, { dim: 1, idx: index } as never)).toThrow('Expected one of dim, index for torch_index_select named arguments but received "idx"');
  });

  it('check each argument by its schema type before libtorch is called', () => {
    const x = torch_ones(2, 2);
    expect(() => torch_mm(x, 2 as never)).toThrow(TypeError);
    expect(() => torch_mm(x, 2 as never)).toThrow('Expected a Tensor for mat2 but received 2');
    expect(() => torch_index_select(x, 0.5, torch_tensor([0], { dtype: 'int64' }))).toThrow('Expected an integer for dim but received 0.5');
    expect(() => torch_mm(x, torch_ones(3, 3))).toThrow(TorchError);
  });
});

describe('aten(): any operator of the linked libtorch', () => {
  it('calls an operator by schema name, in schema order or by name; tuples are arrays of Tensors', () => {
    const x = torch_tensor([1, 3, 2]);
    const [values, indices] = aten('topk')(x, 2) as Tensor[];
    expect(values!.to_array()).toEqual([3, 2]);
    expect(indices!.to_array()).toEqual([1, 2]);
    const [smallest] = aten('topk')(x, { k: 1, largest: false }) as Tensor[];
    expect(smallest!.to_array()).toEqual([1]);
    expect((aten('clamp')(x, { max: 2 }) as Tensor).to_array()).toEqual([1, 2, 2]);
    expect(aten('is_nonzero')(torch_tensor([0]))).toBe(false);
    expect(aten('linalg_det').schema).toBe('aten::linalg_det(Tensor A) -> Tensor');
    expect((aten('linalg_det')(torch_tensor([[2, 1], [1, 3]])) as Tensor).item()).toBeCloseTo(5, 5);
  });

  it('refuses what the schema does not take, and names an operator this libtorch lacks as a TorchError', () => {
    const x = torch_tensor([1, 3, 2]);
    expect(() => aten('no_such_op')).toThrow(TorchError);
    expect(() => aten('topk')(x)).toThrow(/Expected k \((SymInt|int)\) for aten\('topk'\) but received nothing/);
    expect(() => aten('topk')(x, 'two')).toThrow('Expected an integer for k but received "two"');
    expect(() => aten('topk')(x, 2, { kk: 1 })).toThrow(/Expected one of self, k, dim, largest, sorted for aten\('topk'\) named arguments but received "kk"/);
    expect(() => aten('topk')(x, 2, { k: 1 })).toThrow('Expected k once for aten(\'topk\') but received it by position and by name');
    expect(() => aten(3 as never)).toThrow(TypeError);
  });
});
