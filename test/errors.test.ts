// Every failure is a thrown error, never a crash: argument mistakes are TypeError or
// RangeError from the TypeScript layer ("Expected X for NAME but received Y"), and what
// libtorch refuses is a TorchError. After each error the process must still compute.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Tensor, TorchError, autograd_grad, cuda_is_available, torch_arange, torch_cat, torch_empty, torch_eye, torch_full,
  torch_manual_seed, torch_ones, torch_rand, torch_randint, torch_randn, torch_randperm, torch_stack, torch_tensor,
  torch_where, torch_zeros, with_no_grad,
} from '../src/index.js';
import { expectStillWorks } from './fixtures/core.js';

type ErrorClass = typeof TypeError | typeof RangeError | typeof TorchError;
type Case = [string, () => unknown, ErrorClass, RegExp | string];

// Each case throws the class and message given; afterEach then checks the process computes.
function throwsEach(cases: Case[]): void {
  it.each(cases)('%s', (_, run, errorClass, message) => {
    let thrown: unknown;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(errorClass);
    if (errorClass !== TorchError) expect(thrown).not.toBeInstanceOf(TorchError);
    expect((thrown as Error).message).toMatch(message);
  });
}

afterEach(() => expectStillWorks());

describe('TorchError', () => {
  it('is an Error named TorchError, with libtorch\'s message trimmed and a JavaScript stack', () => {
    let thrown: unknown;
    try {
      torch_ones(2, 3).matmul(torch_ones(2, 3));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TorchError);
    expect(thrown).toBeInstanceOf(Error);
    const error = thrown as TorchError;
    expect(error.name).toBe('TorchError');
    expect(error.message).toBe('mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)');
    expect(error.stack).toContain('errors.test.ts');
  });
});

describe('mismatched shapes are TorchErrors', () => {
  throwsEach([
    ['matmul of 2x3 and 2x3', () => torch_ones(2, 3).matmul(torch_ones(2, 3)), TorchError, /cannot be multiplied \(2x3 and 2x3\)/],
    ['add of [2,3] and [4]', () => torch_ones(2, 3).add(torch_ones(4)), TorchError, /size of tensor a \(3\) must match the size of tensor b \(4\)/],
    ['in-place add that would need to grow', () => torch_ones(3).add_(torch_ones(2, 3)), TorchError, /doesn't match the broadcast shape/],
    ['cat of [2,3] and [2,4] along 0', () => torch_cat([torch_ones(2, 3), torch_ones(2, 4)], 0), TorchError, /Sizes of tensors must match except in dimension 0/],
    ['stack of [2] and [3]', () => torch_stack([torch_ones(2), torch_ones(3)]), TorchError, /stack expects each tensor to be equal size/],
    ['reshape of 6 elements to [4, 2]', () => torch_ones(6).reshape(4, 2), TorchError, /shape '\[4, 2\]' is invalid for input of size 6/],
    ['view of a transposed tensor', () => torch_ones(3, 4).t().view(12), TorchError, /view size is not compatible/],
    ['expand of [2,3] to [4,3]', () => torch_ones(2, 3).expand(4, 3), TorchError, /expanded size of the tensor \(4\) must match the existing size \(2\)/],
    ['copy_ of [3] into [2,2]', () => torch_ones(2, 2).copy_(torch_ones(3)), TorchError, /must match/],
    ['index_put_ of [4] into a row of 3', () => torch_ones(3, 3).index_put_([0], torch_ones(4)), TorchError, /must match the existing size/],
    ['where with [3] and [4]', () => torch_where(torch_ones(3).gt(0), torch_ones(4), 0), TorchError, /must match/],
    ['backward with a gradient of the wrong shape', () => torch_ones(3, { requires_grad: true }).mul(2).backward(torch_ones(4)), TorchError, /invalid gradient at index 0 - got \[4\] but expected shape compatible with \[3\]/],
    ['t() of a 3-D tensor', () => torch_ones(2, 2, 2).t(), TorchError, /t\(\) expects a tensor with <= 2 dimensions/],
  ]);
});

describe('wrong dtypes', () => {
  throwsEach([
    ['matmul of float32 and float64', () => torch_ones(2, 2).matmul(torch_ones(2, 2, { dtype: 'float64' })), TorchError, /expected scalar type Float but found Double|expected m1 and m2 to have the same dtype, but got: float != double/], // libtorch 1.13's words | 2.x's
    ['softmax of int64', () => torch_arange(3).softmax(0), TorchError, /not implemented for 'Long'/],
    ['mean of int64', () => torch_arange(3).mean(), TorchError, /mean\(\): could not infer output dtype/],
    ['requires_grad on int64', () => torch_arange(3).requires_grad_(), TorchError, /Only Tensors of floating point and complex dtype can require gradients/],
    ['torch_tensor of int64 with requires_grad', () => torch_tensor([1], { dtype: 'int64', requires_grad: true }), TorchError, /can require gradients/],
    ['where with a float condition', () => torch_where(torch_ones(3), torch_ones(3), 0), TorchError, /where expected condition to be a boolean tensor/],
    ['int64 to a negative integer power', () => torch_arange(3).pow(-1), TorchError, /Integers to negative integer powers are not allowed/],
    ['an unknown dtype name', () => torch_zeros(2, { dtype: 'float128' as 'float32' }), TypeError, /Expected one of uint8, .* for dtype but received "float128"/],
    ['a dtype that is not a string', () => torch_ones(3, { dtype: 5 as unknown as 'float32' }), TypeError, /for dtype but received 5/],
    ['to() an unknown dtype', () => torch_ones(2).to('complex7'), TypeError, /or a dtype \(.*complex64.* for target but received "complex7"/],
    ['torch_tensor of strings', () => torch_tensor(['a'] as unknown as number[]), TypeError, 'Expected numbers or booleans for data but received "a"'],
    ['torch_tensor mixing numbers and booleans', () => torch_tensor([1, true]), TypeError, /a mix of both/],
    ['torch_tensor of a Uint32Array', () => torch_tensor(new Uint32Array(2) as unknown as Int32Array), TypeError, /for data but received an instance of Uint32Array/],
  ]);
});

describe('arguments of the wrong kind, with the one message formula', () => {
  throwsEach([
    ['add of a string', () => torch_ones(2).add('1' as unknown as number), TypeError, 'Expected a Tensor or a number for other but received "1"'],
    ['add with no operand', () => (torch_ones(2).add as (x?: unknown) => Tensor)(), TypeError, 'Expected a Tensor or a number for other but received undefined'],
    ['matmul of a number', () => torch_ones(2).matmul(2 as unknown as Tensor), TypeError, 'Expected a Tensor for other but received 2'],
    ['matmul of a plain object', () => torch_ones(2).matmul({} as Tensor), TypeError, 'Expected a Tensor for other but received an instance of Object'],
    ['a forged Tensor reaches the addon and is refused there', () => torch_ones(2).matmul(Object.create(Tensor.prototype) as Tensor), TypeError, 'Expected a Tensor but received another value'],
    ['new Tensor()', () => new (Tensor as unknown as new (token: unknown) => Tensor)(undefined), TypeError, /Tensors are made with torch_tensor\(\)/],
    ['fill_ with NaN', () => torch_ones(2).fill_(Number.NaN), TypeError, 'Expected a number for value but received NaN'],
    ['alpha as a string', () => torch_ones(2).add(1, '2' as unknown as number), TypeError, 'Expected a number for alpha but received "2"'],
    ['keepdim as a number', () => torch_ones(2).sum(0, 1 as unknown as boolean), TypeError, 'Expected a boolean for keepdim but received 1'],
    ['cat of an empty list', () => torch_cat([]), TypeError, 'Expected a non-empty array of Tensors for tensors but received an array of length 0'],
    ['cat of a list with a number', () => torch_cat([torch_ones(2), 3 as unknown as Tensor]), TypeError, 'Expected a Tensor for tensors[1] but received 3'],
    ['clamp with neither bound', () => torch_ones(2).clamp(), TypeError, /Expected at least one of min and max/],
    ['normal_ with a negative std', () => torch_ones(2).normal_(0, -1), RangeError, /Expected a non-negative std for normal_ but received -1/],
    ['uniform_ with to < from', () => torch_ones(2).uniform_(1, 0), RangeError, /Expected to >= from/],
    ['randint with high <= low', () => torch_randint(5, 5, [2]), RangeError, /Expected high > low/],
    ['arange with step 0', () => torch_arange(0, 5, 0), RangeError, /Expected a non-zero step/],
    ['arange with an infinite end', () => torch_arange(0, Number.POSITIVE_INFINITY), RangeError, 'Expected a finite number for end but received Infinity'],
    ['arange whose step points away from end', () => torch_arange(0, 5, -1), TorchError, /upper bound and (larger|lower) bound inconsistent with step sign/], // 1.13 | 2.x
    ['manual_seed of a negative number', () => torch_manual_seed(-1), RangeError, 'Expected a non-negative integer for seed but received -1'],
    ['torch_tensor with ragged rows', () => torch_tensor([[1, 2], [3]]), TypeError, /Expected rectangular nested arrays for data but dimension 1 has lengths 2 and 1/],
    ['torch_tensor with a number beside a row', () => torch_tensor([1, [2, 3]]), TypeError, /Expected rectangular nested arrays for data but received ragged ones/],
    ['torch_tensor with a row beside a number', () => torch_tensor([[2, 3], 1]), TypeError, /Expected rectangular nested arrays/],
    ['torch_tensor with a shape of the wrong size', () => torch_tensor(new Float32Array(4), { shape: [3] }), RangeError, /Expected a shape of 4 elements for torch_tensor but received \[3\]/],
  ]);
});

describe('a disposed tensor', () => {
  const disposed = () => {
    const x = torch_ones(2);
    x.dispose();
    return x;
  };

  it('says so, and dispose() is idempotent', () => {
    const x = disposed();
    expect(x.is_disposed).toBe(true);
    expect(() => x.dispose()).not.toThrow();
    expect(x.is_disposed).toBe(true);
  });

  throwsEach([
    ['as the receiver of an op', () => disposed().add(1), TypeError, 'Expected a live Tensor but received a disposed one'],
    ['as an argument', () => torch_ones(2).add(disposed()), TypeError, 'Expected a live Tensor but received a disposed one'],
    ['reading shape', () => disposed().shape, TypeError, /disposed/],
    ['reading values', () => disposed().to_array(), TypeError, /disposed/],
    ['item()', () => disposed().item(), TypeError, /disposed/],
    ['in place', () => disposed().add_(1), TypeError, /disposed/],
    ['in a list', () => torch_cat([torch_ones(2), disposed()]), TypeError, /disposed/],
    ['as an index', () => torch_ones(3).index(disposed()), TypeError, /disposed/],
    ['backward()', () => disposed().backward(), TypeError, /disposed/],
  ]);

  // A Tensor holds an id naming a slot of the addon's table (native/core/tensor.cc). A disposed
  // tensor's slot goes to the next tensor made (the free list is last in, first out) under a
  // new generation: the old id must not reach the new tensor.
  it('stays disposed when its slot is reused by a new tensor', () => {
    const x = torch_full([2], 3);
    x.dispose();
    const reused = Array.from({ length: 4 }, () => torch_full([2], 7));
    expect(() => x.add(1)).toThrow(new TypeError('Expected a live Tensor but received a disposed one'));
    expect(x.is_disposed).toBe(true);
    expect(() => x.dispose()).not.toThrow();
    reused.forEach((t) => expect(t.to_array()).toEqual([7, 7]));
  });

  it('refuses anything but an id the addon made, and never follows it', () => {
    const forged = torch_ones(2);
    for (const id of [null, undefined, 0, 1n, 'h', {}, [], { h: 1 }]) {
      (forged as unknown as { h: unknown }).h = id;
      expect(() => forged.add(1), String(id)).toThrow(new TypeError('Expected a Tensor but received another value'));
      expect(forged.is_disposed).toBe(true);
    }
  });

  it('leaves other handles to the same storage alive', () => {
    const x = torch_ones(2);
    const view = x.view(2);
    x.dispose();
    expect(view.add(1).to_array()).toEqual([2, 2]);
  });
});

describe('out-of-range indices and dimensions', () => {
  throwsEach([
    ['index 5 of a dimension of 2', () => torch_ones(2, 3).index(5), TorchError, 'index 5 is out of bounds for dimension 0 with size 2'],
    ['index -3 of a dimension of 2', () => torch_ones(2, 3).index(-3), TorchError, /index -3 is out of bounds for dimension 0 with size 2/],
    ['index 3 in the second dimension', () => torch_ones(2, 3).index(0, 3), TorchError, /index 3 is out of bounds for dimension 1 with size 3/],
    ['an index tensor with 7 for size 2', () => torch_ones(2, 3).index([0, 7]), TorchError, /index 7 is out of bounds for dimension 0 with size 2/],
    ['more indices than dimensions', () => torch_ones(3).index(0, 0), TorchError, /too many indices for tensor of dimension 1/],
    ['index_put_ out of range', () => torch_ones(2).index_put_([2], 0), TorchError, /out of bounds/],
    ['a bool mask of the wrong length', () => torch_ones(3).index(torch_tensor([true, false])), TorchError, /The shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor \[3\]/],
    ['size(5) of a 2-D tensor', () => torch_ones(2, 2).size(5), RangeError, 'Expected a dimension in [-2, 1] for dim but received 5'],
    ['sum over dim 5', () => torch_ones(2, 2).sum(5), TorchError, /Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)/],
    ['transpose(0, 3) of a 2-D tensor', () => torch_ones(2, 2).transpose(0, 3), TorchError, /Dimension out of range/],
    ['permute with a repeated dim', () => torch_ones(2, 2).permute(0, 0), TorchError, /duplicate dims/],
    ['squeeze(3) of a 1-D tensor', () => torch_ones(2).squeeze(3), TorchError, /Dimension out of range/],
    ['max along dim 2 of a 1-D tensor', () => torch_ones(2).max(2), TorchError, /Dimension out of range/],
    ['argmax along dim -3 of a 2-D tensor', () => torch_ones(2, 2).argmax(-3), TorchError, /Dimension out of range/],
    ['an index that is not an integer', () => torch_ones(3).index(1.5), TypeError, 'Expected an integer for index[0] but received 1.5'],
    ['an index beyond 2^53', () => torch_ones(3).index(2 ** 60), RangeError, /Expected a safe integer for index\[0\]/],
  ]);
});

describe('NaN sizes', () => {
  throwsEach([
    ['torch_zeros(NaN)', () => torch_zeros(Number.NaN), TypeError, 'Expected an array of non-negative integers for size[0] but received NaN'],
    ['torch_randn(2, NaN)', () => torch_randn(2, Number.NaN), TypeError, /for size\[1\] but received NaN/],
    ['torch_ones([NaN])', () => torch_ones([Number.NaN]), TypeError, /received NaN/],
    ['torch_full([NaN], 1)', () => torch_full([Number.NaN], 1), TypeError, /received NaN/],
    ['torch_randint(0, 10, [NaN])', () => torch_randint(0, 10, [Number.NaN]), TypeError, /received NaN/],
    ['torch_randperm(NaN)', () => torch_randperm(Number.NaN), TypeError, 'Expected an integer for n but received NaN'],
    ['torch_eye(NaN)', () => torch_eye(Number.NaN), TypeError, 'Expected an integer for n but received NaN'],
    ['torch_arange(0, NaN)', () => torch_arange(0, Number.NaN), TypeError, 'Expected a number for end but received NaN'],
    ['reshape(NaN)', () => torch_ones(2).reshape(Number.NaN), TypeError, 'Expected an integer for shape[0] but received NaN'],
    ['expand(NaN)', () => torch_ones(1).expand(Number.NaN), TypeError, /for shape\[0\] but received NaN/],
    ['torch_tensor with shape [NaN]', () => torch_tensor(new Float32Array(1), { shape: [Number.NaN] }), TypeError, /for shape\[0\] but received NaN/],
    ['a size of Infinity', () => torch_zeros(Number.POSITIVE_INFINITY), TypeError, /received Infinity/],
    ['a fractional size', () => torch_zeros(2.5), TypeError, /received 2.5/],
    ['a size given as a string', () => torch_zeros('3' as unknown as number), TypeError, 'Expected an array of non-negative integers for size[0] but received "3"'],
  ]);
});

describe('negative and absurd sizes throw instead of crashing', () => {
  throwsEach([
    ['torch_zeros(-1)', () => torch_zeros(-1), RangeError, 'Expected a non-negative size for size[0] but received -1'],
    ['torch_empty(3, -5)', () => torch_empty(3, -5), RangeError, /non-negative size for size\[1\] but received -5/],
    ['torch_eye(-1)', () => torch_eye(-1), RangeError, 'Expected a non-negative integer for n but received -1'],
    ['torch_randperm(-1)', () => torch_randperm(-1), RangeError, /non-negative integer for n/],
    ['torch_zeros(1e15, 1e15): 1e30 elements', () => torch_zeros(1e15, 1e15), RangeError, /Expected at most 2\^53 elements \(got 1e\+30\) for size/],
    ['torch_full([1e15, 1e15], 1)', () => torch_full([1e15, 1e15], 1), RangeError, /at most 2\^53 elements/],
    ['torch_rand(1e10, 1e10)', () => torch_rand(1e10, 1e10), RangeError, /at most 2\^53 elements/],
    ['torch_zeros(0, 2^70): the zero must not hide a size libtorch cannot hold', () => torch_zeros(0, 2 ** 70), RangeError, /Expected a size of at most 2\^53 for size\[1\]/],
    // 256 TiB: more than a 47-bit address space, so no allocator can grant it, whatever the overcommit policy.
    ['torch_zeros(2^46): 256 TiB that no allocator can grant', () => torch_zeros(2 ** 46), TorchError, /can't allocate memory|DefaultCPUAllocator/],
    ['torch_eye(1e8): 1e16 elements', () => torch_eye(1e8), TorchError, /can't allocate memory|DefaultCPUAllocator/],
    ['torch_eye(2^52): more elements than int64 holds', () => torch_eye(2 ** 52), TorchError, /overflow/],
    ['torch_randperm(1e15)', () => torch_randperm(1e15), TorchError, /can't allocate memory|DefaultCPUAllocator/],
    ['torch_arange(0, 1e300)', () => torch_arange(0, 1e300), TorchError, /invalid size, possible overflow/],
    ['expand to 1e15 x 1e15', () => torch_ones(1, 1).expand(1e15, 1e15), TorchError, /overflow/],
    ['reshape to 1e15 x 1e15', () => torch_ones(6).reshape(1e15, 1e15), TorchError, /is invalid for input of size 6/],
  ]);
});

describe('devices', () => {
  throwsEach([
    ['an unknown device name', () => torch_zeros(2, { device: 'tpu' }), TypeError, 'Expected a device such as "cpu", "cuda", "cuda:0" or a torch_device() for device but received "tpu"'],
    ['a malformed device index', () => torch_zeros(2, { device: 'cuda:x' }), TypeError, /for device but received "cuda:x"/],
    ['an empty device', () => torch_ones(2).to({ device: '' }), TypeError, /for device but received ""/],
    ['a device that is not a string', () => torch_tensor([1], { device: 0 as unknown as string }), TypeError, /for device but received 0/],
    ['cuda(-1)', () => torch_ones(2).cuda(-1), TypeError, /for device but received "cuda:-1"/],
    ['the meta device has no values to read', () => torch_ones(2, { device: 'meta' }).to_array(), TorchError, /Cannot copy out of meta tensor/],
    ['mps on a machine without it', () => torch_ones(2, { device: 'mps' }), TorchError, /MPS/],
  ]);

  // This libtorch (Debian's) has no CUDA; on a CUDA build with a device the same calls must work.
  const cudaCalls: [string, () => Tensor][] = [
    ['torch_zeros on cuda', () => torch_zeros(2, { device: 'cuda' })],
    ['torch_randn on cuda:0', () => torch_randn(2, { device: 'cuda:0' })],
    ['x.cuda()', () => torch_ones(2).cuda()],
    ['x.to("cuda")', () => torch_ones(2).to('cuda')],
    ['torch_tensor on cuda', () => torch_tensor([1, 2], { device: 'cuda' })],
  ];
  it.each(cudaCalls)('%s: a TorchError without a CUDA device, a CUDA tensor with one', (_, run) => {
    if (cuda_is_available()) {
      const x = run();
      expect(x.device).toMatch(/^cuda/);
      expect(x.cpu().numel()).toBe(2);
    } else {
      expect(run).toThrow(TorchError);
      // In words, not libtorch's dispatcher dump ("Could not run 'aten::empty.memory_format' ...").
      expect(run).toThrow(/^CUDA is not available: (this libtorch has no CUDA|no GPU found)/);
    }
  });

  it('a CUDA device index beyond the devices present is a TorchError', () => {
    expect(() => torch_zeros(2, { device: 'cuda:99' })).toThrow(TorchError);
  });
});

describe('autograd misuse is a TorchError', () => {
  throwsEach([
    ['backward() of a non-scalar without a gradient', () => torch_ones(3, { requires_grad: true }).mul(2).backward(), TorchError, /grad can be implicitly created only for scalar outputs/],
    ['backward() of a tensor that needs no grad', () => torch_ones(3).sum().backward(), TorchError, /does not require grad and does not have a grad_fn/],
    ['requires_grad_(false) on a non-leaf', () => torch_ones(3, { requires_grad: true }).mul(2).requires_grad_(false), TorchError, /you can only change requires_grad flags of leaf variables/],
    ['an in-place op on a leaf that requires grad', () => torch_ones(3, { requires_grad: true }).add_(1), TorchError, /a leaf Variable that requires grad is being used in an in-place operation/],
    ['autograd_grad of an input that needs no grad', () => autograd_grad(torch_ones(2, { requires_grad: true }).sum(), [torch_ones(2)]), TorchError, /does not require grad/],
    ['with_no_grad then backward of its result', () => with_no_grad(() => torch_ones(2, { requires_grad: true }).sum()).backward(), TorchError, /does not require grad/],
    ['backward with retain_graph as a string', () => torch_ones(1, { requires_grad: true }).sum().backward(null, { retain_graph: 'yes' as unknown as boolean }), TypeError, 'Expected a boolean for retain_graph but received "yes"'],
  ]);
});

describe('null or a misspelt key as options is a TypeError naming it', () => {
  const x = () => torch_ones(2, { requires_grad: true });
  throwsEach([
    ['backward(undefined, null)', () => x().sum().backward(undefined, null as never), TypeError, 'Expected an options object for backward options but received null'],
    ['backward(undefined, a Tensor)', () => x().sum().backward(undefined, torch_ones(1) as never), TypeError, 'Expected an options object for backward options but received an instance of Tensor'],
    ['to_typed_array(null)', () => torch_ones(2).to_typed_array(null as never), TypeError, /for to_typed_array options but received null/],
    ['autograd_grad(..., null)', () => { const a = x(); return autograd_grad(a.sum(), [a], null as never); }, TypeError, /for autograd_grad options but received null/],
    ['torch_tensor(data, null)', () => torch_tensor([1], null as never), TypeError, /for torch_tensor options but received null/],
    ['torch_zeros(2, { dtyp })', () => torch_zeros(2, { dtyp: 'float64' } as never), TypeError, 'Expected one of dtype, device, requires_grad for torch_zeros options but received "dtyp"'],
    ['torch_full with requires_gradient', () => torch_full([2], 1, { requires_gradient: true } as never), TypeError, /"requires_gradient"/],
    ['to({ devise })', () => torch_ones(2).to({ devise: 'cpu' } as never), TypeError, /one of device, dtype, copy, other for to target but received "devise"/],
    ['backward with retain', () => x().sum().backward(null, { retain: true } as never), TypeError, /one of retain_graph, create_graph for backward options but received "retain"/],
    ['sum with dtyp', () => torch_ones(2).sum(0, false, { dtyp: 'float64' } as never), TypeError, /for sum options but received "dtyp"/],
    ['torch_tensor nested with shape', () => torch_tensor([1, 2], { shape: [2] }), TypeError, /no shape for nested arrays/],
  ]);
});

describe('odd JavaScript values get the library\'s message, not the engine\'s', () => {
  throwsEach([
    // eslint-disable-next-line no-sparse-arrays
    ['a holey array as an index', () => torch_ones(3).index([0, , 2] as number[]), TypeError, 'Expected an integer for index[0][1] but received undefined'],
    ['a p.grad of another shape', () => { const p = torch_zeros(1000, { requires_grad: true }); p.grad = torch_tensor(1); }, RangeError, "Expected a gradient with the tensor's own shape [1000] for grad but received shape []"],
    ['a p.grad of another dtype', () => { const p = torch_zeros(2, { requires_grad: true }); p.grad = torch_zeros(2, { dtype: 'float64' }); }, TypeError, /own dtype float32 for grad but received float64/],
    ['index_put_ accumulate with a slice', () => torch_zeros(3).index_put_(['0:2'], 1, true), TypeError, /accumulate takes no slices/],
  ]);

  it('a Proxy of an array is a shape like the array', () => {
    expect(torch_zeros(new Proxy([2, 3], {})).shape).toEqual([2, 3]);
    expect(torch_ones(6).reshape(new Proxy([3, 2], {})).shape).toEqual([3, 2]);
  });

  it('an empty tensor gives an empty view', () => {
    const view = torch_zeros([0]).to_typed_array({ copy: false });
    expect(view).toBeInstanceOf(Float32Array);
    expect(view.length).toBe(0);
  });

  it('a refused p.grad leaves the gradient unset', () => {
    const p = torch_zeros(4, { requires_grad: true });
    expect(() => { p.grad = torch_tensor(1); }).toThrow(RangeError);
    expect(p.grad).toBeUndefined();
  });
});

describe('after many errors', () => {
  it('random streams, autograd and allocation still behave', () => {
    for (let i = 0; i < 20; i++) {
      expect(() => torch_ones(2, 3).matmul(torch_ones(2, 3))).toThrow(TorchError);
      expect(() => torch_zeros(2 ** 46)).toThrow(TorchError);
    }
    torch_manual_seed(1);
    const first = torch_randn(4).to_array();
    torch_manual_seed(1);
    expect(torch_randn(4).to_array()).toEqual(first);
    const x = torch_ones(2, { requires_grad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.to_array()).toEqual([2, 2]);
  });
});
