// The base class of every module, as R torch and PyTorch have it: registering, walking the
// module tree, modes, devices and gradients. What assigning to `this` registers is in
// registry.ts, hooks in hooks.ts, clone() in clone.ts, state_dict() in state_dict.ts, printing
// in print.ts; nn_module() (generator.ts) makes R-style generators of it.
import { torch_Device, type DeviceLike } from '../core/device.js';
import { INSPECT_CUSTOM } from '../core/symbols.js';
import { with_no_grad } from '../ops/autograd.js';
import { deviceOrDtype, dtypeName, isFloatingDtype, type DType, type DTypeLike, dtypeCode } from '../core/dtype.js';
import { Tensor, checkTensor } from '../ops/tensor.js';
import { checkBoolean, checkDevice, checkFunction, checkOptions, fail, optionKeys } from '../core/validate.js';
import { copyModule } from './clone.js';
import { addHook, hooksOf, type ForwardHook, type ForwardPreHook, type RemovableHandle } from './hooks.js';
import {
  BUFFERS, MODULE_BRAND, PARAMETERS, REGISTRY, checkName, classnameOf, createModule, enroll, nn_buffer, nn_parameter, registered,
  type Named, type Registry, type Target,
} from './registry.js';
import { describeModule } from './print.js';
import { loadStateDict, stateEntries, type LoadStateDictOptions, type LoadStateDictResult } from './state_dict.js';
import type { nn_state_dict } from './state_keys.js';

/** What `to()` accepts: a device, a dtype, or both. */
export interface ModuleToOptions {
  device?: DeviceLike;
  dtype?: DTypeLike;
}

const TO_KEYS = optionKeys<ModuleToOptions>({ device: true, dtype: true });

export interface nn_Module {
  /** Calls `forward` with the same arguments: `model(x)` is `model.forward(x)`. */
  (...args: Parameters<this['forward']>): ReturnType<this['forward']>;
}

/**
 * The base class of every module. Subclass it and assign parameters (`nn_parameter`),
 * buffers (`nn_buffer`) and modules to `this` to register them; instances are callable.
 * `nn_module(Class)` gives the class R torch's generator form.
 *
 * @example
 * class Mlp extends nn_Module {
 *   fc1 = nn_linear(4, 16);
 *   fc2 = nn_linear(16, 1);
 *   override forward(x: Tensor): Tensor { return this.fc2(nnf_relu(this.fc1(x))); }
 * }
 * const mlp = new Mlp();
 * const y = mlp(torch_randn(8, 4)); // a Tensor, typed
 */
export class nn_Module {
  /** Whether the module is in training mode (dropout active); set by `train()` and `eval()`. */
  declare training: boolean;
  declare private readonly [REGISTRY]: Registry;

  constructor() {
    return createModule(new.target.prototype, { parameters: new Set(), buffers: new Set(), nonPersistent: new Set(), modules: new Set() })[1];
  }

  /** The computation; subclasses and `nn_module()` definitions provide it. */
  forward(...args: any[]): any {
    throw new TypeError(`${classnameOf(this)} has no forward() method`);
  }

  // ---- registration ----

  /** Registers `param` (made a parameter if it is not one yet) under `name`; null reserves the name. @example this.register_parameter('bias', null) */
  register_parameter(name: string, param: Tensor | null): void {
    this.reserve('parameters', name);
    if (param !== null && !PARAMETERS.has(checkTensor(param, 'param'))) nn_parameter(param);
    (this as unknown as Record<string, unknown>)[name] = param;
  }

  /** Registers `tensor` as a buffer under `name`. @example this.register_buffer('running_mean', torch_zeros(n)) */
  register_buffer(name: string, tensor: Tensor | null, persistent = true): void {
    checkBoolean(persistent, 'persistent');
    if (tensor !== null) checkTensor(tensor, 'tensor');
    this.reserve('buffers', name);
    if (!persistent) this[REGISTRY].nonPersistent.add(name);
    if (tensor !== null) nn_buffer(tensor, persistent);
    (this as unknown as Record<string, unknown>)[name] = tensor;
  }

  /** Registers `module` under `name`. @example this.register_module('fc', nn_linear(2, 3)) */
  register_module(name: string, module: nn_Module | null): void {
    if (module !== null && !(module instanceof nn_Module)) fail('an nn_module or null', 'module', module);
    this.reserve('modules', name);
    (this as unknown as Record<string, unknown>)[name] = module;
  }

  // Makes `name` a registered name of `kind`, so that assigning null to it keeps it.
  private reserve(kind: 'parameters' | 'buffers' | 'modules', name: string): void {
    checkName(name, this as unknown as Target);
    enroll(this[REGISTRY], kind, name);
  }

  /** PyTorch's name for `register_module`. @example seq.add_module('2', nn_relu()) */
  add_module(name: string, module: nn_Module | null): void {
    this.register_module(name, module);
  }

  // ---- hooks and copies ----

  /**
   * Registers `hook(module, args)` to run before every call `model(...)`; returning an
   * array replaces the arguments, any other value (but undefined) becomes the one argument
   * (PyTorch's forward pre-hook). Calling `forward` directly runs no hooks, as in PyTorch.
   *
   * @example
   * const handle = model.register_forward_pre_hook((m, [x]) => [x.mul(2)]);
   * handle.remove();
   */
  register_forward_pre_hook(hook: ForwardPreHook<this>): RemovableHandle {
    return addHook(hooksOf(this).pre, hook);
  }

  /**
   * Registers `hook(module, args, output)` to run after every call `model(...)`; returning a
   * value (not undefined) replaces the output (PyTorch's forward hook).
   *
   * @example
   * const features: Tensor[] = [];
   * const handle = model.fc1.register_forward_hook((m, args, output) => { features.push(output.detach()); });
   * model(x); handle.remove();
   */
  register_forward_hook(hook: ForwardHook<this>): RemovableHandle {
    return addHook(hooksOf(this).forward, hook);
  }

  /**
   * A copy of this module, R torch's `module$clone(deep = FALSE)`. Shallow (the default, as
   * in R): a new module object holding the same parameters, buffers and submodules. Deep
   * (PyTorch's `copy.deepcopy(module)`): new parameters and buffers with the same values (and
   * requires_grad), submodules copied, independent of the original; weights shared within the
   * module stay shared in the copy. Hooks are copied.
   *
   * @example
   * const target = policy.clone(true);      // e.g. a target network, trained apart
   * const view = policy.clone();            // shares policy's parameters
   */
  clone(deep = false): this {
    return copyModule(this, checkBoolean(deep, 'deep'), new Map()) as this;
  }

  // ---- walking the tree ----


  /** Every module below and including this one, each once, depth first (PyTorch's order). */
  private walk(prefix = '', seen = new Set<nn_Module>(), into: Named<nn_Module> = []): Named<nn_Module> {
    if (seen.has(this)) return into;
    seen.add(this);
    into.push([prefix, this]);
    for (const [name, child] of registered<nn_Module>(this, this[REGISTRY].modules)) child.walk(prefix === '' ? name : `${prefix}.${name}`, seen, into);
    return into;
  }

  private members(kind: 'parameters' | 'buffers', recurse: boolean): Named<Tensor> {
    const seen = new Set<Tensor>();
    const result: Named<Tensor> = [];
    const modules: Named<nn_Module> = recurse ? this.walk() : [['', this]];
    for (const [prefix, module] of modules) {
      for (const [name, tensor] of registered<Tensor>(module, module[REGISTRY][kind])) {
        if (seen.has(tensor)) continue;
        seen.add(tensor);
        result.push([prefix === '' ? name : `${prefix}.${name}`, tensor]);
      }
    }
    return result;
  }

  /**
   * Every parameter of this module and the modules inside it, each once, in registration
   * order (R's `model$parameters`).
   *
   * @example
   * const opt = optim_adam(model.parameters);
   * for (const p of model.linear.parameters) p.requires_grad_(false);
   */
  get parameters(): Tensor[] {
    return this.members('parameters', true).map(([, tensor]) => tensor);
  }

  /** Parameters by dotted name (`"fc1.weight"`). @example Object.keys(model.named_parameters()) */
  named_parameters(recurse = true): Record<string, Tensor> {
    return Object.fromEntries(this.members('parameters', checkBoolean(recurse, 'recurse')));
  }

  /** Every buffer of this module and the modules inside it. @example model.buffers.length */
  get buffers(): Tensor[] {
    return this.members('buffers', true).map(([, tensor]) => tensor);
  }

  /** Buffers by dotted name. @example model.named_buffers()['bn.running_mean'] */
  named_buffers(recurse = true): Record<string, Tensor> {
    return Object.fromEntries(this.members('buffers', checkBoolean(recurse, 'recurse')));
  }

  /** The modules registered directly on this one. @example seq.children.length */
  get children(): nn_Module[] {
    return registered<nn_Module>(this, this[REGISTRY].modules).map(([, module]) => module);
  }

  /** The direct submodules by name. @example Object.keys(model.named_children()) */
  named_children(): Record<string, nn_Module> {
    return Object.fromEntries(registered<nn_Module>(this, this[REGISTRY].modules));
  }

  /** This module and every module inside it, each once, depth first. @example model.modules.length */
  get modules(): nn_Module[] {
    return this.walk().map(([, module]) => module);
  }

  /** Every module by dotted name; this one is `""`. @example Object.keys(model.named_modules()) */
  named_modules(): Record<string, nn_Module> {
    return Object.fromEntries(this.walk());
  }

  /** Calls `fn` on every submodule, then on this one; returns this module. @example model.apply((m) => m.eval()) */
  apply(fn: (module: nn_Module) => void): this {
    checkFunction(fn, 'fn');
    for (const child of this.children) child.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and devices ----

  /** Sets training mode on this module and every module inside it; returns this. @example model.train() */
  train(mode = true): this {
    checkBoolean(mode, 'mode');
    this.training = mode;
    for (const child of this.children) child.train(mode);
    return this;
  }

  /** Evaluation mode (`train(false)`): dropout off. @example model.eval() */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves parameters and buffers to a device and/or casts the floating-point ones to a
   * dtype (integer buffers keep theirs, as in PyTorch); returns this module. Parameters are
   * replaced by new ones (as R torch does), so make the optimizer after moving the model.
   *
   * @example
   * model.to('cuda'); model.to('float64'); model.to({ device: 'cpu', dtype: 'float32' });
   */
  to(target: string | torch_Device | ModuleToOptions): this {
    if (target instanceof torch_Device) target = { device: target };
    if (typeof target !== 'string' && (typeof target !== 'object' || target === null || Array.isArray(target))) fail('a device, a dtype or { device, dtype }', 'target', target);
    const options: ModuleToOptions = typeof target === 'string'
      ? deviceOrDtype(target)
      : checkOptions(target, TO_KEYS, 'to', 'target');
    const device = options.device === undefined ? undefined : checkDevice(options.device);
    const dtype: DType | undefined = options.dtype === undefined ? undefined : dtypeName(dtypeCode(options.dtype));
    const moved = new Map<Tensor, Tensor>();
    const convert = (tensor: Tensor): Tensor => {
      const castTo = dtype !== undefined && isFloatingDtype(tensor.dtype) && tensor.dtype !== dtype ? dtype : undefined;
      const moveTo = device !== undefined && tensor.device !== normalizeDevice(device) ? device : undefined;
      if (castTo === undefined && moveTo === undefined) return tensor;
      let result = moved.get(tensor);
      if (result === undefined) {
        result = with_no_grad(() => tensor.to({ device: moveTo, dtype: castTo }));
        if (PARAMETERS.has(tensor)) {
          const grad = tensor.grad;
          nn_parameter(result, tensor.requires_grad);
          if (grad !== undefined) result.grad = with_no_grad(() => grad.to({ device: moveTo, dtype: castTo }));
        } else {
          nn_buffer(result, BUFFERS.get(tensor) ?? true);
        }
        moved.set(tensor, result);
      }
      return result;
    };
    for (const [, module] of this.walk()) {
      const values = module as unknown as Record<string, unknown>;
      for (const [name, tensor] of registered<Tensor>(module, module[REGISTRY].parameters)) values[name] = convert(tensor);
      for (const [name, tensor] of registered<Tensor>(module, module[REGISTRY].buffers)) values[name] = convert(tensor);
    }
    return this;
  }

  /** `to('cpu')`. @example model.cpu() */
  cpu(): this { return this.to({ device: 'cpu' }); }
  /** `to('cuda:index')`. @example model.cuda() */
  cuda(index = 0): this { return this.to({ device: `cuda:${index}` }); }

  // ---- gradients and state ----

  /**
   * Clears the gradient of every parameter: drops it (PyTorch's default since 2.0,
   * `set_to_none = true`) or zeroes it in place.
   *
   * @example model.zero_grad()
   */
  zero_grad(set_to_none = true): void {
    checkBoolean(set_to_none, 'set_to_none');
    for (const param of this.parameters) {
      if (set_to_none) {
        param.grad = null;
      } else {
        const grad = param.grad;
        if (grad !== undefined) with_no_grad(() => grad.zero_());
      }
    }
  }

  /**
   * Parameters and persistent buffers by dotted name, detached (they share memory with the
   * module, so copy them to keep a snapshot). Typed by the module's keys where its type shows
   * them (`nn_state_dict`), else `Record<string, Tensor>`.
   *
   * @example
   * const saved = model.state_dict();
   * other.load_state_dict(saved);
   * nn_linear(2, 3).state_dict().weight;   // a Tensor; .wieght does not compile
   */
  // Generic over `this` rather than typed by it, so that comparing module types (a layer
  // passed as an nn_Module) does not compute their keys: only a call does.
  state_dict<M extends nn_Module>(this: M): nn_state_dict<M> {
    const result: Record<string, Tensor> = {};
    for (const [name, tensor] of stateEntries(this)) result[name] = tensor.detach();
    return result as nn_state_dict<M>;
  }

  /**
   * Copies values from `state_dict` into this module's parameters and buffers. Every key,
   * shape and value is checked before anything is copied, so a mismatch (a RangeError
   * listing all of them) changes nothing. With `strict: false`, missing and unexpected keys
   * are reported instead; shapes must still match.
   *
   * @example
   * model.load_state_dict(saved);
   * const { missing_keys } = lora.load_state_dict(base.state_dict(), { strict: false });
   */
  load_state_dict(state_dict: Record<string, Tensor> | Map<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    return loadStateDict(this, state_dict, options);
  }

  // ---- printing ----

  /**
   * What R torch prints: the parameter count, then the submodules, parameters and buffers.
   *
   * @example
   * console.log(String(nn_linear(2, 3)));
   * // An `nn_module` containing 9 parameters.
   * // ...
   */
  toString(): string {
    return describeModule(this);
  }

  [INSPECT_CUSTOM](): string {
    return this.toString();
  }
}

function normalizeDevice(device: string): string {
  return device === 'cuda' ? 'cuda:0' : device;
}

/** Whether `x` is a module. @example is_nn_module(nn_linear(2, 3)) // true */
export function is_nn_module(x: unknown): x is nn_Module {
  return x instanceof nn_Module;
}

// How isModule() (registry.ts) knows a module.
Object.defineProperty(nn_Module.prototype, MODULE_BRAND, { value: true });
