// Parity of the core with Python PyTorch: random streams, every tensor op of the public API
// (values, and gradients through backward()), and state dicts crossing as files both ways.
// Each case's Python twin is the @case of the same name in cases_core.py.
import {
  autograd_grad, Tensor, torch_abs, torch_add, torch_allclose, torch_arange, torch_argmax, torch_baddbmm, torch_cat, torch_clamp,
  torch_div, torch_empty, torch_equal, torch_exp, torch_eye, torch_flatten, torch_full, torch_log, torch_manual_seed,
  torch_matmul, torch_mean, torch_mul, torch_neg, torch_ones, torch_pow, torch_rand, torch_randint, torch_randn,
  torch_randperm, torch_relu, torch_reshape, torch_sigmoid, torch_softmax, torch_sqrt, torch_squeeze, torch_stack,
  torch_sub, torch_sum, torch_t, torch_tanh, torch_tensor, torch_transpose, torch_unsqueeze, torch_where,
  torch_zeros, with_no_grad, type DType,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const positive = (...shape: number[]): Tensor => torch_rand(shape).add(0.5);
const flag = (value: boolean): Tensor => torch_tensor([value]);

// ---- random streams: PyTorch's exact draws after the same seed

const random: ParityCase[] = [
  { name: 'random.randn', run: () => {
    torch_manual_seed(1);
    // Under 16 elements and from 16 on, libtorch fills normals with different code paths.
    return { small: torch_randn(3, 4), vectorised: torch_randn(20), double: torch_randn([2, 9], { dtype: 'float64' }) };
  } },
  { name: 'random.rand', run: () => {
    torch_manual_seed(2);
    return { small: torch_rand(3, 4), large: torch_rand(17), double: torch_rand([5], { dtype: 'float64' }) };
  } },
  { name: 'random.randint', run: () => {
    torch_manual_seed(3);
    return {
      small: torch_randint(0, 10, [6]), negative: torch_randint(-5, 5, [3, 3]),
      wide: torch_randint(0, 2 ** 40, [4]), int32: torch_randint(0, 100, [5], { dtype: 'int32' }),
    };
  } },
  { name: 'random.randperm', run: () => {
    torch_manual_seed(4);
    return { small: torch_randperm(10), large: torch_randperm(1000) };
  } },
  { name: 'random.normal_uniform', run: () => {
    torch_manual_seed(5);
    return {
      normal: torch_zeros(5).normal_(2, 0.5), normal_large: torch_zeros(33).normal_(),
      uniform: torch_empty(20).uniform_(-1, 1), uniform_double: torch_empty([6], { dtype: 'float64' }).uniform_(),
    };
  } },
  { name: 'random.interleaved', run: () => {
    torch_manual_seed(7);
    const a = torch_randn(3);
    const b = torch_rand(2);
    const c = torch_randint(0, 100, [3]);
    const d = torch_randperm(4);
    return { a, b, c, d, e: torch_randn(18) };
  } },
];

// ---- elementwise ops, forward and backward

type Unary = (x: Tensor) => Tensor;
const unary = (name: string, op: Unary, make: () => Tensor = () => randn(3, 4), grad = true): ParityCase =>
  ({ name: `unary.${name}`, inputs: () => ({ x: make() }), grad: grad ? ['x'] : [], run: ({ x }) => ({ out: op(x!) }) });
const halves = (): Tensor => torch_tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999997, -3.7, 2.2]);
const special = (): Tensor => torch_tensor([0, NaN, Infinity, -Infinity, 1.5, -2]);

const elementwise: ParityCase[] = [
  unary('neg', (x) => x.neg()),
  unary('exp', (x) => x.exp()),
  unary('log', (x) => x.log(), () => positive(3, 4)),
  unary('sqrt', (x) => x.sqrt(), () => positive(3, 4)),
  unary('abs', (x) => x.abs()),
  unary('relu', (x) => x.relu()),
  unary('sigmoid', (x) => x.sigmoid()),
  unary('tanh', (x) => x.tanh()),
  unary('sin', (x) => x.sin()),
  unary('cos', (x) => x.cos()),
  unary('square', (x) => x.square()),
  unary('reciprocal', (x) => x.reciprocal(), () => positive(3, 4)),
  unary('floor', (x) => x.floor(), () => randn(3, 4).mul(3)),
  unary('ceil', (x) => x.ceil(), () => randn(3, 4).mul(3)),
  unary('round', (x) => x.round(), halves),
  unary('sign', (x) => x.sign(), () => torch_tensor([-2, 0, 3, -0.5])),
  unary('isnan', (x) => x.isnan(), special, false),
  unary('isfinite', (x) => x.isfinite(), special, false),
  unary('logical_not', (x) => x.logical_not(), () => torch_tensor([true, false, true]), false),
  unary('torch_functions', (x) => torch_tanh(torch_sigmoid(torch_relu(torch_exp(x).sub(1)).add(torch_neg(torch_abs(x)))))),
  unary('torch_log_sqrt', (x) => torch_log(torch_sqrt(x)), () => positive(4)),

  { name: 'binary.tensor', inputs: () => ({ a: randn(3, 4), b: randn(4) }), grad: ['a', 'b'], run: ({ a, b }) => ({
    add: a!.add(b!), add_alpha: a!.add(b!, 0.3), sub: a!.sub(b!), sub_alpha: a!.sub(b!, 2.5), mul: a!.mul(b!),
    div: a!.div(b!), maximum: a!.maximum(b!.expand(3, 4)), minimum: a!.minimum(b!.expand(3, 4)),
  }) },
  { name: 'binary.pow_remainder', inputs: () => ({ a: positive(3, 4), b: randn(3, 4) }), grad: ['a', 'b'], run: ({ a, b }) => ({
    pow: a!.pow(b!), pow_2: b!.pow(2), pow_half: a!.pow(0.5), pow_neg: a!.pow(-1.5), remainder: b!.mul(5).remainder(a!),
    remainder_scalar: b!.mul(5).remainder(-3),
  }) },
  { name: 'binary.scalar', inputs: () => ({ a: randn(2, 5) }), grad: ['a'], run: ({ a }) => ({
    add: a!.add(2.5), sub: a!.sub(1), mul: a!.mul(3), div: a!.div(7),
    rsub: torch_sub(1, a!), rmul: torch_mul(2, a!), rdiv: torch_div(2, a!), fadd: torch_add(a!, a!), fpow: torch_pow(a!, 3),
  }) },
  { name: 'binary.scalar_first_alpha', inputs: () => ({ a: randn(1000) }), grad: ['a'], run: ({ a }) => ({
    radd_alpha: torch_add(1, a!, 0.3), rsub_alpha: torch_sub(1, a!, 0.3),
  }) },
  { name: 'binary.integer', inputs: () => ({ i: torch_arange(-6, 6).reshape(3, 4), j: torch_randint(1, 5, [4]) }), run: ({ i, j }) => ({
    mul: i!.mul(3), add: i!.add(j!), div: i!.div(4), remainder: i!.remainder(j!), pow: j!.pow(3),
    rem_neg: i!.remainder(-4), sum: i!.sum(), float_mul: i!.mul(0.5),
  }) },
  { name: 'binary.compare', inputs: () => ({ a: torch_randint(0, 4, [3, 4]).float(), b: torch_randint(0, 4, [4]).float() }), run: ({ a, b }) => ({
    eq: a!.eq(b!), ne: a!.ne(b!), lt: a!.lt(b!), le: a!.le(b!), gt: a!.gt(b!), ge: a!.ge(b!),
    eq_s: a!.eq(2), lt_s: a!.lt(1.5), ge_s: a!.ge(3),
    and: a!.gt(1).logical_and(b!.gt(1)), or: a!.gt(2).logical_or(b!.lt(1)),
    allclose: flag(torch_allclose(a!, a!.add(1e-9))), not_close: flag(a!.allclose(a!.add(1e-3))),
    equal: flag(torch_equal(a!, a!.clone())), not_equal: flag(a!.equal(b!.expand(3, 4))),
  }) },
  { name: 'binary.matmul', inputs: () => ({ a: randn(3, 4), b: randn(4, 5), v: randn(4), batch: randn(2, 3, 4) }),
    grad: ['a', 'b', 'v', 'batch'], run: ({ a, b, v, batch }) => ({
      mm: a!.matmul(b!), mv: a!.matmul(v!), vm: v!.matmul(b!), dot: v!.matmul(v!), bmm: batch!.matmul(b!),
      functional: torch_matmul(a!, b!),
    }) },
  { name: 'binary.baddbmm', inputs: () => ({ m: randn(1, 3, 5), a: randn(2, 3, 4), b: randn(2, 4, 5) }), grad: ['m', 'a', 'b'], run: ({ m, a, b }) => ({
    default: torch_baddbmm(m!, a!, b!), scaled: torch_baddbmm(m!, a!, b!, 0.5, -2),
  }) },
  { name: 'clamp', inputs: () => ({ x: randn(4, 5).mul(2) }), grad: ['x'], run: ({ x }) => ({
    both: x!.clamp(-1, 0.5), min: x!.clamp(0), max: x!.clamp(null, -0.25), functional: torch_clamp(x!, -2, 2),
  }) },
  { name: 'where', inputs: () => ({ x: randn(3, 4), y: randn(3, 4) }), grad: ['x', 'y'], run: ({ x, y }) => ({
    tensors: torch_where(x!.gt(y!), x!, y!), scalar: torch_where(x!.gt(0), x!, 0), scalars: torch_where(y!.lt(0), -1, 1),
  }) },
];

// ---- reductions and softmax

const reductions: ParityCase[] = [
  { name: 'reduce.sum_mean', inputs: () => ({ x: randn(3, 4, 5) }), grad: ['x'], run: ({ x }) => ({
    sum: x!.sum(), sum_dim: x!.sum(1), sum_dims: x!.sum([0, 2]), sum_keep: x!.sum(-1, true), sum_double: x!.sum(null, false, { dtype: 'float64' }),
    mean: x!.mean(), mean_dim: x!.mean(0), mean_dims: x!.mean([1, 2], true), functional: torch_sum(x!, 2).add(torch_mean(x!, 2)),
  }) },
  { name: 'reduce.large_sum', inputs: () => ({ x: randn(1000, 37) }), grad: ['x'], run: ({ x }) => ({ sum: x!.sum(), sum_dim: x!.sum(0), mean: x!.mean(1) }) },
  { name: 'reduce.max_min', inputs: () => ({ x: randn(4, 6) }), grad: ['x'], run: ({ x }) => {
    const [maxValues, maxIndices] = x!.max(1);
    const [minValues, minIndices] = x!.min(0, true);
    return {
      max: x!.max(), min: x!.min(), max_values: maxValues, max_indices: maxIndices, min_values: minValues, min_indices: minIndices,
      argmax: x!.argmax(), argmax_dim: x!.argmax(1), argmin_keep: x!.argmin(0, true), functional: torch_argmax(x!, -1),
    };
  } },
  { name: 'softmax', inputs: () => ({ x: randn(3, 7).mul(4) }), grad: ['x'], run: ({ x }) => ({
    softmax: x!.softmax(-1), softmax_0: x!.softmax(0), log_softmax: x!.log_softmax(1), functional: torch_softmax(x!, 1),
  }) },
];

// ---- shapes, views, indexing and in-place ops

const shapes: ParityCase[] = [
  { name: 'shape.views', inputs: () => ({ x: randn(2, 3, 4) }), grad: ['x'], run: ({ x }) => ({
    transpose: x!.transpose(0, 2), permute: x!.permute(2, 0, 1), reshape: x!.reshape(4, -1), view: x!.view(6, 4),
    flatten: x!.flatten(1), unsqueeze: x!.unsqueeze(1), squeeze: x!.unsqueeze(0).squeeze(), squeeze_dim: x!.unsqueeze(2).squeeze(2),
    t: x!.index(0).t(), contiguous: x!.transpose(1, 2).contiguous(), clone: x!.clone(), expand: x!.index(0, 0).unsqueeze(0).expand(5, -1),
    detach: x!.detach(),
    functional: torch_flatten(torch_unsqueeze(torch_squeeze(torch_reshape(torch_transpose(torch_t(x!.index(1)), 0, 1), [1, 12])), 0)),
  }) },
  { name: 'shape.cat_stack', inputs: () => ({ a: randn(2, 3), b: randn(2, 3), c: randn(1, 3) }), grad: ['a', 'b', 'c'], run: ({ a, b, c }) => ({
    cat0: torch_cat([a!, b!, c!], 0), cat1: torch_cat([a!, b!], 1), stack0: torch_stack([a!, b!]), stack2: torch_stack([a!, b!], 2),
  }) },
  { name: 'index.read', inputs: () => ({ x: randn(5, 4, 3) }), grad: ['x'], run: ({ x }) => ({
    int: x!.index(1), negative: x!.index(-1, 2), slice: x!.index('1:4'), step: x!.index('::2', '1:'),
    slice_object: x!.index(null, '...', 0), tensor: x!.index(torch_tensor(new BigInt64Array([3n, 0n, 3n]))),
    array: x!.index([4, 1], [0, 2]), mask: x!.index(x!.gt(0.5)),
  }) },
  { name: 'index.put', inputs: () => ({ x: randn(4, 3), v: randn(3) }), grad: ['x', 'v'], run: ({ x, v }) => {
    const y = x!.mul(1);
    y.index_put_([1], v!);
    y.index_put_(['2:4', 0], 7);
    y.index_put_([y.lt(-1)], 0);
    return { y };
  } },
  { name: 'index.put_accumulate', inputs: () => ({ x: randn(4, 3), v: randn(4, 3) }), grad: ['x', 'v'], run: ({ x, v }) => {
    const y = x!.mul(1);
    y.index_put_([torch_tensor(new BigInt64Array([0n, 2n, 0n, 3n]))], v!, true);
    const z = x!.mul(1);
    z.index_put_([[1, 1], [2, 2]], 0.5, true);
    return { y, z };
  } },
  { name: 'inplace.arithmetic', inputs: () => ({ x: randn(3, 4), z: randn(3, 4), p: positive(3, 4) }), grad: ['x', 'z', 'p'], run: ({ x, z, p }) => {
    const y = x!.mul(1);
    y.add_(z!, 0.5).sub_(p!, 2).mul_(z!).div_(p!).sub_(0.25).mul_(3);
    const q = p!.mul(1).pow_(1.5).add_(1).div_(2).clamp_(0.6, 0.9);
    const r = x!.mul(1).pow_(2);
    return { y, q, r };
  } },
  { name: 'inplace.fill_copy', inputs: () => ({ x: randn(3, 4), s: randn(4) }), grad: ['x', 's'], run: ({ x, s }) => ({
    zero: x!.mul(1).zero_(), fill: x!.mul(1).fill_(2.5), copy: x!.mul(1).copy_(s!.mul(2)),
    fill_int: torch_zeros([3], { dtype: 'int64' }).fill_(7), fill_bool: torch_zeros([2], { dtype: 'bool' }).fill_(true),
  }) },
];

// ---- dtypes, creation and autograd

const conversions: ParityCase[] = [
  { name: 'convert.dtypes', inputs: () => ({ x: randn(3, 5).mul(100) }), grad: ['x'], run: ({ x }) => {
    const out: Tensors = {};
    for (const dtype of ['float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as DType[]) out[dtype] = x!.to({ dtype });
    return { ...out, float: x!.double().float(), long: x!.long(), back: x!.to('float64').mul(3).to('float32') };
  } },
  { name: 'creation.values', run: () => ({
    zeros: torch_zeros(2, 3), ones: torch_ones([2, 2], { dtype: 'float64' }), full: torch_full([2, 3], 0.1), full_int: torch_full([2], 7, { dtype: 'int32' }),
    full_bool: torch_full([2], true), arange: torch_arange(0, 5), arange_float: torch_arange(0, 1, 0.1), arange_neg: torch_arange(3, -2.5, -0.7),
    eye: torch_eye(3), eye_rect: torch_eye(2, 4, { dtype: 'int64' }), tensor: torch_tensor([[0.1, 1 / 3], [1e-8, 3e38]]),
    tensor_double: torch_tensor(new Float64Array([0.1, 1 / 3])), tensor_int: torch_tensor([1, 2, 3], { dtype: 'int64' }),
    tensor_bool: torch_tensor([true, false]), empty: torch_empty(2, 0, 3),
  }) },
  { name: 'autograd.grad', inputs: () => ({ x: randn(4), w: randn(4) }), grad: ['x', 'w'], run: ({ x, w }) => {
    const y = x!.pow(3).mul(w!).sum();
    const [dx] = autograd_grad(y, [x!], { create_graph: true });
    const [dw] = autograd_grad(x!.mul(w!).sum(), [w!]);
    return { dx: dx!, dw: dw!, no_grad: with_no_grad(() => x!.mul(2)) };
  } },
  { name: 'autograd.chain', inputs: () => ({ x: randn(8, 5), w: randn(5, 3), b: randn(3) }), grad: ['x', 'w', 'b'], run: ({ x, w, b }) => {
    const hidden = x!.matmul(w!).add(b!).tanh();
    const loss = hidden.log_softmax(1).mul(-1).mean();
    return { hidden, loss };
  } },
];

// ---- files: state dicts crossing both ways (the harness itself reads and writes them too)

// Every file dtype, with edge values and layouts: written here, read by Python's own reader.
function stateDict(): Tensors {
  const w = torch_arange(0, 12, 1, { dtype: 'float32' }).reshape(3, 4).div(7);
  return {
    'layers.0.weight': w.t(), // non-contiguous when written
    'layers.0.bias': torch_randn(3),
    f64: w.double().sqrt(), f16: w.to('float16'), bf16: w.to('bfloat16'),
    f16_edges: torch_tensor(new Uint16Array([0x7bff, 0x8000, 0x0001, 0x7c00, 0xfc00]), { dtype: 'float16' }),
    i64: torch_arange(-3, 3).mul(2 ** 40), i32: torch_arange(-2, 2, 1, { dtype: 'int32' }), i16: torch_tensor(new Int16Array([-32768, 32767])),
    i8: torch_arange(-4, 4).to('int8'), u8: torch_arange(250, 256).to('uint8'), mask: w.gt(0.5), scalar: torch_tensor(3.25),
    empty: torch_zeros(0, 2),
  };
}

const files: ParityCase[] = [
  { name: 'file.from_torchlora', inputs: stateDict, run: (inputs) => {
    const out: Tensors = {};
    for (const [key, tensor] of Object.entries(inputs)) {
      out[`copy/${key}`] = tensor;
      out[`sum/${key}`] = tensor.to('float64').sum();
    }
    return out;
  } },
  { name: 'file.from_python', run: () => {
    const w = torch_arange(0, 12, 1, { dtype: 'float32' }).reshape(3, 4).div(7);
    return {
      w, view: w.t(), f64: w.double().sqrt(), f16: w.to('float16'), bf16: w.to('bfloat16'), i64: torch_arange(-3, 3).mul(2 ** 40),
      i32: torch_arange(-2, 2, 1, { dtype: 'int32' }), i8: torch_arange(-4, 4).to('int8'), u8: torch_arange(250, 256).to('uint8'),
      mask: w.gt(0.5), empty: torch_zeros(0, 2),
    };
  } },
];

parity_suite('core parity with PyTorch', [...random, ...elementwise, ...reductions, ...shapes, ...conversions, ...files]);
