// The type of a module's state_dict(): its keys, computed from the module's type where they can
// be known (those of its public fields: modules, nn_parameter() and nn_buffer() tensors, as the
// built-in layers' are typed; or what a class declares under nn_state), else
// Record<string, Tensor>. Types only, but for the symbols.
import type { Tensor } from '../ops/tensor.js';
import type { nn_Module } from './module.js';

/**
 * The symbol a module class declares its own state under, for types only: the object type of
 * its parameters and persistent buffers by name, optional where an option may leave one out
 * (`declare readonly [nn_state]?: { weight: Tensor; bias?: Tensor }`), or `Record<string,
 * Tensor>` when they cannot be known (registered under computed names). A module class that
 * registers state by name (`register_buffer('mask', ...)`, not a field) declares it so, or its
 * `state_dict()` lacks those keys in its type. A class that declares it also declares the state
 * of its private and protected fields (which types cannot see); its public fields' is added.
 *
 * @example
 * class Masked extends nn_Module {
 *   declare readonly [nn_state]?: { mask: Tensor };
 *   constructor() { super(); this.register_buffer('mask', torch_ones(4)); }
 * }
 */
export const nn_state: unique symbol = Symbol('torchlora.nn_state');

/** What only `nn_parameter()` returns, for types: a field of this type is a key of its module's state_dict. */
export const PARAMETER_BRAND: unique symbol = Symbol('torchlora.parameter');
/** What only `nn_buffer()` returns, for types, with whether the buffer is persistent (saved by state_dict). */
export const BUFFER_BRAND: unique symbol = Symbol('torchlora.buffer');

// What a state is when its keys cannot be known: any key may be there.
type Unknown = Record<string, Tensor>;
type IsUnknown<S> = string extends keyof S ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;

// The state of one field of type T named K: a module's keys under "K.", a parameter's or a
// persistent buffer's K (optional when the field may be null); a plain Tensor, or a type that
// a Tensor is (any, unknown, object), could be state or not, so the module's keys are unknown;
// other values are no state.
type FieldState<K extends string, T> = IsAny<T> extends true ? Unknown
  : [NonNullable<T>] extends [never] ? {}
  : true extends IsUnion<NonNullable<T>> ? ([NonNullable<T>] extends [nn_Module | Tensor] ? Unknown : {})
  : [NonNullable<T>] extends [nn_Module] ? Under<K, ModuleState<NonNullable<T>>, null extends T ? true : undefined extends T ? true : false>
  : [NonNullable<T>] extends [Tensor] ? TensorState<K, NonNullable<T>, null extends T ? true : undefined extends T ? true : false>
  : [Tensor] extends [T] ? Unknown
  : {};

type TensorState<K extends string, T, Optional extends boolean> = typeof PARAMETER_BRAND extends keyof T ? Entry<K, Optional>
  : typeof BUFFER_BRAND extends keyof T ? (T extends { readonly [BUFFER_BRAND]?: infer P } ? ([P] extends [true] ? Entry<K, Optional> : [P] extends [false] ? {} : Entry<K, true>) : Unknown)
  : Unknown;

type Entry<K extends string, Optional extends boolean> = Optional extends true ? { [key in K]?: Tensor } : { [key in K]: Tensor };

// A submodule's state under "K.": every key optional when the field may be null.
type Under<K extends string, S, Optional extends boolean> = IsUnknown<S> extends true ? Unknown
  : Optional extends true ? { [key in keyof S as key extends string ? `${K}.${key}` : never]?: Tensor }
  : { [key in keyof S as key extends string ? `${K}.${key}` : never]: S[key] };

// The fields that may hold state: not nn_Module's own members, nor what the class declares.
type Fields<M> = Exclude<Extract<keyof M, string>, keyof nn_Module | keyof Declared<M>>;
type Declared<M> = typeof nn_state extends keyof M ? NonNullable<M[typeof nn_state]> : {};

// Intersects the states of the fields, or gives Unknown if one is.
type AllFields<M, Keys extends keyof M & string = Fields<M> & keyof M> = [Keys] extends [never] ? {}
  : UnionToIntersection<Keys extends string ? FieldBox<FieldState<Keys, M[Keys]>> : never> extends infer All
    ? All extends { unknown: true } ? Unknown : Unbox<All> : never;
type FieldBox<S> = IsUnknown<S> extends true ? { unknown: true } : { state: S };
type Unbox<All> = All extends { state: infer S } ? Flatten<S> : {};
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

type Flatten<S> = { [key in keyof S]: S[key] };

/** A container's state: its children's, under `${number}.` (a list) or any key (a dict). */
export type ContainerState<Prefix extends string, M> = ModuleState<M> extends infer S
  ? IsUnknown<S> extends true ? Unknown : { [key in keyof S as key extends string ? `${Prefix}.${key}` : never]-?: Tensor } : never;

/**
 * What a function that restructures a module in place (`lora_apply`, `nn_utils_weight_norm`)
 * adds to the type it returns: its state's keys are no longer the ones its type shows.
 */
export interface RestructuredState { readonly [nn_state]?: Record<string, Tensor> }

/**
 * The state of module type `M` by key (optional where it may be absent), or
 * `Record<string, Tensor>` where its keys cannot be known from its type: `nn_Module` itself,
 * modules with fields typed `any`, a plain `Tensor` (a parameter or not: `nn_parameter()`'s
 * type says) or `unknown`, and classes with private or protected members that declare no state.
 */
export type ModuleState<M> = IsAny<M> extends true ? Unknown
  : true extends IsUnion<M> ? Unknown
  : typeof nn_state extends keyof M ? Combine<Declared<M>, AllFields<M>>
  : IsPlain<M> extends true ? Unknown
  : HasOwnPrivates<M> extends true ? Unknown
  : AllFields<M>;
// Whether M has private or protected members of its own: keyof does not see them, and a
// private field may hold a module. (nn_Module's own private member is the same in both.)
type HasOwnPrivates<M> = [Pick<M, keyof M> & nn_Module] extends [M] ? false : true;
// nn_Module itself, or a module no more specific than it: no fields of its own, and a forward
// that returns any (a layer without fields, as nn_tanh, has a typed forward and no state).
type IsPlain<M> = [nn_Module] extends [M] ? (M extends { forward(...args: any[]): infer R } ? IsAny<R> : true) : false;
type Combine<A, B> = IsUnknown<A> extends true ? Unknown : IsUnknown<B> extends true ? Unknown : Flatten<A & B>;

/**
 * What `state_dict()` returns for a module of type `M`: its keys where they are known from
 * its type (`nn_linear(2, 3).state_dict().weight` is a Tensor, `.wieght` a compile error),
 * else `Record<string, Tensor>`. Annotate it as `Record<string, Tensor>` to index it with
 * computed strings, delete or add keys. (Extract keeps it assignable to a Record where `M` is
 * still generic: `this.state_dict()` in a method, `model.state_dict()` for `M extends nn_Module`.)
 */
export type nn_state_dict<M> = Extract<IsUnknown<ModuleState<M>> extends true ? Record<string, Tensor> : ModuleState<M>, Record<string, Tensor>>;
