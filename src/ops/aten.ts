// The library's hand-written ops' operators (atenOp), and `aten()`, the escape hatch to every
// operator of the linked libtorch, whose arguments are checked by their schema types at run
// time (the generated ops, src/ops/generated/, have the same checks written out by gen-ops).
import { Op, type OpArgument } from '../core/dispatch.js';
import { dtypeCode, type DTypeLike } from '../core/dtype.js';
import { checkBoolean, checkDevice, checkDims, checkInteger, checkNumber, checkOptions, checkScalar, fail, isPlainObject } from '../core/validate.js';
import { checkString } from './checks.js';
import { generatorOf } from './random.js';
import { checkTensor, Tensor } from './tensor.js';

/** An Op whose results are Tensors: the library's own hand-written ops call these. */
export class TensorOp extends Op {
  override call<R = Tensor>(...args: unknown[]): R {
    return super.call<R>(...args);
  }
}

/** `aten::<name>.<overload>`, for the library's own hand-written ops. @example const TOPK = atenOp('topk'); */
export function atenOp(name: string, overload = ''): TensorOp {
  return new TensorOp(`aten::${name}`, overload);
}

function checkTensors(value: unknown, name: string): Tensor[] {
  if (!Array.isArray(value)) fail('an array of Tensors', name, value);
  return value.map((item, i) => checkTensor(item, `${name}[${i}]`));
}

type Check = (value: unknown, name: string) => unknown;

// The check for one schema type, by the type's name (optional types take null and undefined).
const CHECKS: Record<string, Check> = {
  Tensor: checkTensor,
  'Tensor[]': checkTensors,
  'Tensor?[]': (value, name) => {
    if (!Array.isArray(value)) fail('an array of Tensors or nulls', name, value);
    return value.map((item, i) => (item === null ? null : checkTensor(item, `${name}[${i}]`)));
  },
  Scalar: checkScalar,
  int: checkInteger,
  SymInt: checkInteger,
  'int[]': (value, name) => checkDims(value, name),
  'SymInt[]': (value, name) => checkDims(value, name),
  float: checkNumber,
  'float[]': (value, name) => {
    if (!Array.isArray(value)) fail('an array of numbers', name, value);
    return value.map((item, i) => checkNumber(item, `${name}[${i}]`));
  },
  bool: checkBoolean,
  'bool[]': (value, name) => {
    if (!Array.isArray(value)) fail('an array of booleans', name, value);
    return value.map((item, i) => checkBoolean(item, `${name}[${i}]`));
  },
  str: checkString,
  ScalarType: (value) => dtypeCode(value as DTypeLike),
  Device: (value) => checkDevice(value),
  Generator: (value, name) => generatorOf(value, name),
};

/** The check for a schema type such as "int[1]?", or null where torchlora passes no such value. */
export function checkFor(type: string): Check | null {
  const optional = type.endsWith('?');
  const base = (optional ? type.slice(0, -1) : type).replace(/\[\d+\]$/, '[]');
  const check = CHECKS[base];
  if (!check) return null;
  return optional ? (value, name) => (value === null || value === undefined ? null : check(value, name)) : check;
}


/** Arguments in schema order, from positional ones and an optional trailing object of named ones, each checked by its type. */
function schemaArguments(where: string, parameters: OpArgument[], args: unknown[]): unknown[] {
  const last = args[args.length - 1];
  // Only a plain object names arguments: a Tensor, a torch_generator() or a torch_device() passed last is an argument.
  const named = isPlainObject(last) ? last : null;
  const positional = named ? args.slice(0, -1) : args;
  if (positional.length > parameters.length) {
    throw new RangeError(`Expected at most ${parameters.length} arguments for ${where} but received ${positional.length}`);
  }
  const values = [...positional];
  if (named) {
    const keys = new Set(parameters.map((parameter) => parameter.name));
    const options = checkOptions(named, keys, where, 'named arguments') as Record<string, unknown>;
    parameters.forEach((parameter, i) => {
      if (options[parameter.name] === undefined) return;
      if (i < positional.length) throw new TypeError(`Expected ${parameter.name} once for ${where} but received it by position and by name`);
      values[i] = options[parameter.name];
    });
  }
  return parameters.map((parameter, i) => {
    const value = values[i];
    if (value === undefined) {
      if (parameter.hasDefault || parameter.type.endsWith('?')) return undefined;
      throw new TypeError(`Expected ${parameter.name} (${parameter.type}) for ${where} but received nothing`);
    }
    const check = checkFor(parameter.type);
    if (!check) throw new TypeError(`torchlora cannot pass ${parameter.name} (${parameter.type}) of ${where}; leave it out to take its default`);
    const checked = check(value, parameter.name);
    return checked instanceof Tensor ? checked.h : Array.isArray(checked) ? checked.map((item) => (item instanceof Tensor ? item.h : item)) : checked;
  });
}

/**
 * Any operator of the linked libtorch, by its schema name: the escape hatch for ops torchlora
 * has no function for. Arguments go in the schema's order (leave one out, or pass undefined,
 * for its default), or by name in a trailing object; each is checked against the schema's
 * type. Tensor results come back as Tensors, tuples as arrays. A name this libtorch lacks is a
 * TorchError.
 *
 * @example
 * const [values, indices] = aten('topk')(x, 2) as Tensor[];
 * aten('clamp', 'Tensor')(x, { min: lo });
 * aten('linalg_det').schema; // "aten::linalg_det(Tensor A) -> Tensor"
 */
export function aten(name: string, overload = ''): ((...args: unknown[]) => unknown) & { schema: string } {
  checkString(name, 'name');
  checkString(overload, 'overload');
  const op = new Op(name.includes('::') ? name : `aten::${name}`, overload);
  const schema = op.schema();
  const where = `aten('${name}'${overload ? `, '${overload}'` : ''})`;
  return Object.assign((...args: unknown[]) => op.call(...schemaArguments(where, schema.arguments, args)), { schema: schema.schema });
}
