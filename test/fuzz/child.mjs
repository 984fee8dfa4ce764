// One fuzz worker: calls public functions and Tensor methods of the built package with bad and
// edge arguments drawn from a seeded generator, and reports every call that ended in anything
// but a return or a library error (TypeError / RangeError / TorchError with the library's own
// message). Each call is announced on stdout before it runs, so that the parent can name the
// call that crashed or hung this process. Arguments: seed, number of calls, path of dist/src/index.js.
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [seedText, countText, entry] = process.argv.slice(2);
const torch = await import(pathToFileURL(entry).href);
const { Tensor, TorchError } = torch;

let state = Number(seedText) >>> 0;
function random() { // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

// Each argument is made fresh for its call, so that a call which disposes or changes its
// arguments cannot affect the next one. Sizes stay small: a fuzz call must not allocate gigabytes.
const plain = [
  undefined, null, true, false, 0, -0, 1, 2, 3, -1, -2, 0.5, -1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
  // 2^46 elements cannot be allocated (a fast TorchError); 2^31 could be, and would take minutes.
  2 ** 46, -(2 ** 31), 2 ** 53, 2 ** 63, 1e300, 1n, '', 'abc', 'cpu', 'cuda', 'float64', 'int64', 'mean', '0:2', '...', '::-1',
  Symbol('s'),
];
const made = [
  () => [], () => [1], () => [2, 3], () => [0], () => [-1], () => [1.5], () => [2 ** 53, 2], () => ['a'], () => [null],
  // eslint-disable-next-line no-sparse-arrays
  () => [1, , 2], () => new Proxy([2, 3], {}), () => [[1, 2], [3]], () => ({}), () => ({ dtype: 'int64' }), () => ({ bias: false }),
  () => ({ reduction: 'sum' }), () => ({ foo: 1 }), () => Object.create(null), () => () => undefined, () => () => { throw new Error('user code'); },
  () => new Float32Array([1, 2]), () => new Uint16Array([1]), () => new ArrayBuffer(4), () => new Date(0),
];
const tensors = [
  () => torch.torch_randn(2, 3), () => torch.torch_zeros(0), () => torch.torch_tensor(3.5), () => torch.torch_arange(6),
  () => torch.torch_tensor([true, false]), () => torch.torch_randn(2, 3, 4), () => torch.torch_ones(3, 3, { dtype: 'float64' }),
  () => torch.torch_tensor(new Int32Array([-(2 ** 31), 5])), () => torch.torch_randn(3, 2).t(),
  () => { const t = torch.torch_ones(2); t.dispose(); return t; },
  () => torch.torch_randn(2, 3, { requires_grad: true }), () => torch.torch_randn(2, 3, { requires_grad: true }).mul(2),
  () => [torch.torch_randn(2, 3), torch.torch_randn(2, 3)],
];
const modules = [
  () => torch.nn_linear(3, 2), () => torch.nn_embedding(4, 3), () => torch.nn_relu(), () => torch.nn_sequential(torch.nn_linear(3, 3)),
];
const kinds = [plain, made, tensors, modules];

function argument() {
  const kind = pick(kinds);
  return kind === plain ? pick(plain) : pick(kind)();
}

function receiver() {
  for (;;) {
    const value = pick(tensors)();
    if (value instanceof Tensor) return value;
  }
}

// Engine and addon messages: a library error must never carry one of these.
const ENGINE = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not a constructor|Cannot convert|Invalid array length|Maximum call stack|was expected|Cannot perform|not extensible|Cannot destructure|Cannot create property|Cannot mix BigInt|serialize a BigInt|Invalid typed array length|Class constructor|Cannot access|is not defined|Reduce of empty array|Invalid time value|toPrimitive|must be of type/;

function verdict(error) {
  if (error instanceof TorchError) return null;
  if ((error instanceof TypeError || error instanceof RangeError) && !ENGINE.test(error.message)) return null;
  return `${error?.constructor?.name ?? typeof error}: ${String(error?.message ?? error).slice(0, 300)}`;
}

const isClass = (f) => /^class\b/.test(Function.prototype.toString.call(f));
// Named members of Tensor.prototype, methods and accessors alike; `constructor` is tested via `new Tensor`.
const members = Object.getOwnPropertyNames(Tensor.prototype).filter((name) => name !== 'constructor');
const functions = Object.entries(torch).filter(([, value]) => typeof value === 'function');

const problems = [];
const count = Number(countText);
for (let i = 0; i < count; i++) {
  const args = Array.from({ length: Math.floor(random() * 5) }, argument);
  let label;
  let call;
  if (random() < 0.4) {
    const self = receiver();
    const name = pick(members);
    label = `Tensor.${name}`;
    const descriptor = Object.getOwnPropertyDescriptor(Tensor.prototype, name);
    if (descriptor.get !== undefined && random() < 0.5) call = () => self[name];
    else if (descriptor.set !== undefined) call = () => { self[name] = args[0]; };
    else if (typeof descriptor.value === 'function') call = () => self[name](...args);
    else call = () => self[name];
  } else {
    const [name, fn] = pick(functions);
    label = name;
    call = isClass(fn) ? () => new fn(...args) : () => fn(...args);
  }
  const shown = args.map((a) => (a instanceof Tensor ? `Tensor` : typeof a === 'function' ? 'fn' : typeof a === 'symbol' ? 'Symbol' : typeof a === 'bigint' ? `${a}n` : Array.isArray(a) ? `[${a.length}]` : a === null ? 'null' : typeof a === 'object' ? a.constructor?.name ?? 'object' : JSON.stringify(a)));
  writeSync(1, `CALL ${i} ${label}(${shown.join(', ')})\n`);
  try {
    const result = call();
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') await result;
  } catch (error) {
    const bad = verdict(error);
    if (bad !== null && error?.message !== 'user code') problems.push(`${label}(${shown.join(', ')}) threw ${bad}`);
  }
}
writeSync(1, `DONE ${JSON.stringify(problems)}\n`);
