// Printing as R torch does: "torch_tensor", libtorch's own rendering of the values and type,
// then "[ grad_fn = <...> ]" or "[ requires_grad = TRUE ]". The libtorch part is what
// Python PyTorch's C++ printer (reached through TorchScript's print) wrote to core.json.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { torch_arange, torch_eye, torch_manual_seed, torch_randn, torch_tensor, torch_zeros, type Tensor } from '../src/index.js';
import { core, entry } from './fixtures/core.js';

const libtorch = (key: string) => entry(core.print, key).trimEnd();

const NUMBER = /-?\d+(?:\.\d*)?(?:e[+-]\d+)?/g;
const VALUES_LINE = /^[\s\d.e+-]+$/;

/**
 * The text must be the fixture's, except that on lines of values each printed number may
 * differ by one unit of its last printed digit: core.json was printed on another machine,
 * whose kernels (BLAS, the vectorised random draws) may round the last bits of a value
 * differently, which can move a rounded digit. Every other line (the type and shape, a scale
 * factor, "Columns 1 to 10", the autograd suffix) and the layout must be equal.
 */
function expectPrinted(actual: string, expected: string): void {
  const ours = actual.split('\n');
  const theirs = expected.split('\n');
  expect(ours.length).toBe(theirs.length);
  theirs.forEach((line, i) => {
    const mine = ours[i]!;
    if (!VALUES_LINE.test(line) || line.trim() === '') {
      expect(mine).toBe(line);
      return;
    }
    expect(mine.replace(NUMBER, '#'), `line ${i}`).toBe(line.replace(NUMBER, '#'));
    const values = mine.match(NUMBER)!;
    line.match(NUMBER)!.forEach((token, j) => {
      const [mantissa, exponent = '0'] = token.split('e');
      const decimals = mantissa!.split('.')[1]?.length ?? 0;
      const unit = 10 ** (Number(exponent) - decimals);
      expect(Math.abs(Number(values[j]) - Number(token)), `line ${i}: ${values[j]} against ${token}`).toBeLessThanOrEqual(unit * 1.000001);
    });
  });
}

describe('toString() is "torch_tensor" over libtorch\'s rendering', () => {
  const cases: [string, () => Tensor][] = [
    ['eye_2', () => torch_eye(2)],
    ['mixed', () => torch_tensor([[1.5, -2.25], [1e-3, 100]])],
    ['big', () => torch_tensor([1e10, 1])],
    ['arange_5', () => torch_arange(5)],
    ['bool', () => torch_tensor([true, false])],
    ['zeros_2x3x4', () => torch_zeros(2, 3, 4)],
    ['float64', () => torch_tensor(new Float64Array([0.5, 1.5]))],
    ['int32', () => torch_tensor(new Int32Array([1, 2]))],
    ['scalar', () => torch_tensor(3.5)],
    ['empty', () => torch_zeros(0)],
    ['randn_5x5_seed0', () => { torch_manual_seed(0); return torch_randn(5, 5); }],
    ['randn_3x30_seed0', () => { torch_manual_seed(0); return torch_randn(3, 30); }],
  ];
  it.each(cases)('%s', (key, make) => {
    expectPrinted(make().toString(), `torch_tensor\n${libtorch(key)}`);
  });

  it('matches R torch\'s layout for a small matrix (spelled out)', () => {
    expect(String(torch_eye(2))).toBe('torch_tensor\n 1  0\n 0  1\n[ CPUFloatType{2,2} ]');
  });
});

describe('autograd suffixes', () => {
  it('the issue\'s example: a product of randn(5, 5) requiring grad shows its grad_fn', () => {
    torch_manual_seed(0);
    const x = torch_randn(5, 5, { requires_grad: true });
    const w = torch_randn(5, 5);
    const y = x.matmul(w);
    const gradFn = entry(core.print, 'matmul_seed0_grad_fn');
    expect(gradFn).toBe('MmBackward0');
    expectPrinted(y.toString(), `torch_tensor\n${libtorch('matmul_seed0')}[ grad_fn = <${gradFn}> ]`);
    expect(y.toString().split('\n').at(-1)).toBe('[ CPUFloatType{5,5} ][ grad_fn = <MmBackward0> ]');
  });

  it('a leaf that requires grad says so', () => {
    torch_manual_seed(0);
    const x = torch_randn(2, { requires_grad: true });
    expectPrinted(x.toString(), `torch_tensor\n${libtorch('leaf_requires_grad_seed0')}[ requires_grad = TRUE ]`);
  });

  it('a detached tensor has no suffix', () => {
    torch_manual_seed(0);
    const x = torch_randn(2, { requires_grad: true });
    expectPrinted(x.detach().toString(), `torch_tensor\n${libtorch('leaf_requires_grad_seed0')}`);
  });
});

describe('other ways to print', () => {
  it('console.log (util.inspect) and template strings print the same text', () => {
    const x = torch_eye(2);
    expect(inspect(x)).toBe(x.toString());
    expect(`${x}`).toBe(x.toString());
  });

  it('a disposed tensor prints as disposed instead of throwing', () => {
    const x = torch_eye(2);
    x.dispose();
    expect(String(x)).toBe('torch_tensor\n[ disposed ]');
  });
});
