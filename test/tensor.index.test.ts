// index() and index_put_(): 0-based, PyTorch semantics. Each case names the Python
// expression make_core_fixtures.py evaluated; the items here spell the same index.
import { describe, expect, it } from 'vitest';
import { slice, torch_arange, torch_tensor, type IndexItem, type Tensor } from '../src/index.js';
import { core, entry, expectTensor } from './fixtures/core.js';

// x = torch.arange(24.).reshape(2, 3, 4) and d = torch.arange(100.).reshape(10, 10), as in the fixture script.
const x = () => torch_arange(0, 24, 1, { dtype: 'float32' }).reshape(2, 3, 4);
const d = () => torch_arange(0, 100, 1, { dtype: 'float32' }).reshape(10, 10);

describe('index() reads as Python\'s x[...] does', () => {
  const reads: [string, () => Tensor][] = [
    ['0', () => x().index(0)],
    ['-1', () => x().index(-1)],
    ['1,2', () => x().index(1, 2)],
    ['1,2,3', () => x().index(1, 2, 3)],
    [':,0:2', () => x().index(':', '0:2')],
    [':,0:2', () => x().index(slice(), slice(0, 2))],
    ['...,::2', () => x().index('...', '::2')],
    ['...,::2', () => x().index('...', slice(null, null, 2))],
    [':,-2:', () => x().index(':', '-2:')],
    [':,-2:', () => x().index(slice(), slice(-2))],
    ['...,1', () => x().index('...', 1)],
    ['None,0', () => x().index(null, 0)],
    [':,None', () => x().index(':', null)],
    ['[1,0]', () => x().index([1, 0])],
    [':,tensor[2,0]', () => x().index(':', torch_tensor(new BigInt64Array([2n, 0n])))],
    ['mask_gt_10', () => { const t = x(); return t.index(t.gt(10)); }],
    ['0,rowmask', () => x().index(0).index(torch_tensor([true, false, true]))],
    [':,1:10', () => x().index(':', '1:10')],
    ['[]', () => x().index([])],
    ['d_0:5,0:5', () => d().index('0:5', '0:5')],
    ['d_0:5,0:5', () => d().index(slice(0, 5), slice(0, 5))],
    ['d_slice_step', () => d().index('1:8:3', 2)],
  ];
  it.each(reads)('x[%s]', (key, read) => expectTensor(read(), entry(core.index.reads, key)));

  it('a 0-dimensional result reads with item()', () => {
    expect(x().index(1, 2, 3).item()).toBe(23);
  });

  it('basic indexing returns a view: writing to it writes the base', () => {
    const base = x();
    base.index(0, '1:3').fill_(-1);
    expect(base.index(0).to_array()).toEqual([[0, 1, 2, 3], [-1, -1, -1, -1], [-1, -1, -1, -1]]);
  });

  it('advanced (tensor) indexing returns a copy', () => {
    const base = x();
    base.index([0]).fill_(-1);
    expect(base.index(0, 0).to_array()).toEqual([0, 1, 2, 3]);
  });
});

describe('index_put_() writes as Python\'s x[...] = value does, and returns this', () => {
  const writes: [string, (t: Tensor) => Tensor, () => Tensor][] = [
    ['0,1=100', (t) => t.index_put_([0, 1], 100), x],
    [':,:,0=[1,2,3]', (t) => t.index_put_([':', ':', 0], torch_tensor([1, 2, 3])), x],
    ['mask_gt_20=0', (t) => t.index_put_([t.gt(20)], 0), x],
    ['[0,1],[2,0],3=[7,8]', (t) => t.index_put_([[0, 1], [2, 0], 3], torch_tensor([7, 8])), x],
    ['...,-1=-1', (t) => t.index_put_(['...', -1], -1), x],
    ['d_0:5,0:5=0', (t) => t.index_put_([slice(0, 5), '0:5'], 0), d],
  ];
  it.each(writes)('x[%s]', (key, write, make) => {
    const target = make();
    expect(write(target)).toBe(target);
    expectTensor(target, entry(core.index.writes, key));
  });
});

describe('index item validation', () => {
  const bad: [string, IndexItem, RegExp][] = [
    ['a fraction', 1.5, /Expected an integer for index\[0\] but received 1.5/],
    ['NaN', Number.NaN, /Expected an integer for index\[0\] but received NaN/],
    ['a slice without a colon', '3', /Expected a slice such as "0:5"/],
    ['a slice with a word', '0:a', /Expected an integer stop in slice "0:a"/],
    ['a zero step', '::0', /Expected a positive step/],
    ['a negative step', '::-1', /Expected a positive step/],
    ['an object', {} as IndexItem, /Expected a number, a slice, a Tensor, an array of integers, null or "..." for index\[0\]/],
  ];
  it.each(bad)('%s is refused before libtorch', (_, item, message) => {
    expect(() => x().index(item)).toThrow(message);
  });

  it('slice() checks its bounds', () => {
    expect(() => slice(0.5)).toThrow(TypeError);
    expect(() => slice(0, 4, 0)).toThrow(RangeError);
  });
});
