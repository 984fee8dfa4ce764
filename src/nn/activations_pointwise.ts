// The pointwise activations of functional_activations.ts as modules, with R torch's names and
// options: `nn_relu6()`, `nn_elu({ alpha })`, `nn_leaky_relu({ negative_slope })`, ... An
// `inplace: true` module changes its input, as PyTorch's does. `nn_prelu` learns its slope.
import { torch_empty } from '../ops/creation.js';
import { type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkFinite, checkPositiveInteger, optionKeys } from '../core/validate.js';
import {
  nnf_celu, nnf_elu, nnf_glu, nnf_hardshrink, nnf_hardsigmoid, nnf_hardswish, nnf_hardtanh, nnf_leaky_relu, nnf_logsigmoid, nnf_mish, nnf_prelu,
  nnf_relu6, nnf_rrelu, nnf_selu, nnf_softplus, nnf_softshrink, nnf_softsign, nnf_tanhshrink, nnf_threshold,
  type EluOptions, type HardtanhOptions, type InplaceOptions, type LeakyReluOptions, type RreluOptions, type ShrinkOptions, type SoftplusOptions,
} from './functional_activations.js';
import { nn_init_constant_ } from './init.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_parameter } from './registry.js';
import { ArgumentlessModule, factory, FACTORY_KEYS, positionalOptions, type FactoryOptions, type Positional } from './options.js';

/**
 * A module of an activation: its options, given positionally in R's order (`names`) or as an
 * options object, checked once, at construction, and kept as `options`.
 */
abstract class Activation<O extends object> extends nn_Module {
  readonly options: Readonly<O>;
  protected constructor(args: readonly unknown[], names: readonly (keyof O & string)[], accepted: ReadonlySet<string>, where: string) {
    super();
    this.options = Object.freeze({ ...positionalOptions<O>(args, names, accepted, where) }) as O;
  }
}

const INPLACE_KEYS = optionKeys<InplaceOptions>({ inplace: true });
function inplaceOf(options: InplaceOptions): boolean {
  return checkBoolean(options.inplace ?? false, 'inplace');
}

/** The class behind `nn_relu6`. */
export class ReLU6 extends Activation<InplaceOptions> {
  constructor(...args: Positional<[inplace: boolean], InplaceOptions>) { super(args, ['inplace'], INPLACE_KEYS, 'nn_relu6'); inplaceOf(this.options); }
  override forward(input: Tensor): Tensor { return nnf_relu6(input, this.options); }
}
/** `min(max(x, 0), 6)` as a module. @example nn_relu6({ inplace: true }) */
export const nn_relu6 = nn_module(ReLU6, 'nn_relu6');
export type nn_relu6 = ReLU6;

/** The class behind `nn_selu`. */
export class SELU extends Activation<InplaceOptions> {
  constructor(...args: Positional<[inplace: boolean], InplaceOptions>) { super(args, ['inplace'], INPLACE_KEYS, 'nn_selu'); inplaceOf(this.options); }
  override forward(input: Tensor): Tensor { return nnf_selu(input, this.options); }
}
/** `nnf_selu` as a module. @example nn_selu() */
export const nn_selu = nn_module(SELU, 'nn_selu');
export type nn_selu = SELU;

/** The class behind `nn_hardswish`. */
export class Hardswish extends Activation<InplaceOptions> {
  constructor(...args: Positional<[inplace: boolean], InplaceOptions>) { super(args, ['inplace'], INPLACE_KEYS, 'nn_hardswish'); inplaceOf(this.options); }
  override forward(input: Tensor): Tensor { return nnf_hardswish(input, this.options); }
}
/** `nnf_hardswish` as a module. @example nn_hardswish() */
export const nn_hardswish = nn_module(Hardswish, 'nn_hardswish');
export type nn_hardswish = Hardswish;

/** The class behind `nn_hardsigmoid`. */
export class Hardsigmoid extends Activation<InplaceOptions> {
  constructor(...args: Positional<[inplace: boolean], InplaceOptions>) { super(args, ['inplace'], INPLACE_KEYS, 'nn_hardsigmoid'); inplaceOf(this.options); }
  override forward(input: Tensor): Tensor { return nnf_hardsigmoid(input, this.options); }
}
/** `nnf_hardsigmoid` as a module. @example nn_hardsigmoid() */
export const nn_hardsigmoid = nn_module(Hardsigmoid, 'nn_hardsigmoid');
export type nn_hardsigmoid = Hardsigmoid;

/** The class behind `nn_mish`. */
export class Mish extends Activation<InplaceOptions> {
  constructor(...args: Positional<[inplace: boolean], InplaceOptions>) { super(args, ['inplace'], INPLACE_KEYS, 'nn_mish'); inplaceOf(this.options); }
  override forward(input: Tensor): Tensor { return nnf_mish(input, this.options); }
}
/** `nnf_mish` as a module. @example nn_mish() */
export const nn_mish = nn_module(Mish, 'nn_mish');
export type nn_mish = Mish;

const ELU_KEYS = optionKeys<EluOptions>({ alpha: true, inplace: true });

/** The class behind `nn_elu`. */
export class ELU extends Activation<EluOptions> {
  constructor(...args: Positional<[alpha: number, inplace: boolean], EluOptions>) { super(args, ['alpha', 'inplace'], ELU_KEYS, 'nn_elu'); inplaceOf(this.options); checkFinite(this.options.alpha ?? 1, 'alpha'); }
  override forward(input: Tensor): Tensor { return nnf_elu(input, this.options); }
}
/** `nnf_elu` as a module. @example nn_elu(0.5); nn_elu({ alpha: 0.5 }) */
export const nn_elu = nn_module(ELU, 'nn_elu');
export type nn_elu = ELU;

/** The class behind `nn_celu`. */
export class CELU extends Activation<EluOptions> {
  constructor(...args: Positional<[alpha: number, inplace: boolean], EluOptions>) { super(args, ['alpha', 'inplace'], ELU_KEYS, 'nn_celu'); inplaceOf(this.options); checkFinite(this.options.alpha ?? 1, 'alpha'); }
  override forward(input: Tensor): Tensor { return nnf_celu(input, this.options); }
}
/** `nnf_celu` as a module. @example nn_celu({ alpha: 2 }) */
export const nn_celu = nn_module(CELU, 'nn_celu');
export type nn_celu = CELU;

/** The class behind `nn_leaky_relu`. */
export class LeakyReLU extends Activation<LeakyReluOptions> {
  constructor(...args: Positional<[negative_slope: number, inplace: boolean], LeakyReluOptions>) {
    super(args, ['negative_slope', 'inplace'], optionKeys<LeakyReluOptions>({ negative_slope: true, inplace: true }), 'nn_leaky_relu');
    inplaceOf(this.options);
    checkFinite(this.options.negative_slope ?? 0.01, 'negative_slope');
  }
  override forward(input: Tensor): Tensor { return nnf_leaky_relu(input, this.options); }
}
/** `nnf_leaky_relu` as a module. @example nn_leaky_relu(0.2); nn_leaky_relu({ negative_slope: 0.2, inplace: true }) */
export const nn_leaky_relu = nn_module(LeakyReLU, 'nn_leaky_relu');
export type nn_leaky_relu = LeakyReLU;

/** The class behind `nn_hardtanh`. */
export class Hardtanh extends Activation<HardtanhOptions> {
  constructor(...args: Positional<[min_val: number, max_val: number, inplace: boolean], HardtanhOptions>) {
    super(args, ['min_val', 'max_val', 'inplace'], optionKeys<HardtanhOptions>({ min_val: true, max_val: true, inplace: true }), 'nn_hardtanh');
    inplaceOf(this.options);
    const { min_val = -1, max_val = 1 } = this.options;
    if (checkFinite(max_val, 'max_val') < checkFinite(min_val, 'min_val')) throw new RangeError(`Expected a max_val of at least min_val (${min_val}) for max_val but received ${max_val}`);
  }
  override forward(input: Tensor): Tensor { return nnf_hardtanh(input, this.options); }
}
/** `nnf_hardtanh` as a module. @example nn_hardtanh(-2, 2); nn_hardtanh({ min_val: -2, max_val: 2 }) */
export const nn_hardtanh = nn_module(Hardtanh, 'nn_hardtanh');
export type nn_hardtanh = Hardtanh;

/** The class behind `nn_rrelu`. */
export class RReLU extends Activation<Omit<RreluOptions, 'training'>> {
  constructor(...args: Positional<[lower: number, upper: number, inplace: boolean], Omit<RreluOptions, 'training'>>) {
    super(args, ['lower', 'upper', 'inplace'], optionKeys<Omit<RreluOptions, 'training'>>({ lower: true, upper: true, inplace: true }), 'nn_rrelu');
    inplaceOf(this.options);
    checkFinite(this.options.lower ?? 0, 'lower');
    checkFinite(this.options.upper ?? 0, 'upper');
  }
  /** Random slopes in training mode, their mean after `eval()`. */
  override forward(input: Tensor): Tensor { return nnf_rrelu(input, { ...this.options, training: this.training }); }
}
/** `nnf_rrelu` as a module: random slopes while training. @example nn_rrelu({ lower: 0.1, upper: 0.3 }) */
export const nn_rrelu = nn_module(RReLU, 'nn_rrelu');
export type nn_rrelu = RReLU;

/** The class behind `nn_threshold`. */
export class Threshold extends Activation<InplaceOptions> {
  readonly threshold: number;
  readonly value: number;
  constructor(threshold: number, value: number, ...args: Positional<[inplace: boolean], InplaceOptions>) {
    super(args, ['inplace'], INPLACE_KEYS, 'nn_threshold');
    inplaceOf(this.options);
    this.threshold = checkFinite(threshold, 'threshold');
    this.value = checkFinite(value, 'value');
  }
  override forward(input: Tensor): Tensor { return nnf_threshold(input, this.threshold, this.value, this.options); }
}
/** `value` where `input <= threshold`, else `input`, as a module. @example nn_threshold(0.1, 20) */
export const nn_threshold = nn_module(Threshold, 'nn_threshold');
export type nn_threshold = Threshold;

/** The class behind `nn_softplus`. */
export class Softplus extends Activation<SoftplusOptions> {
  constructor(...args: Positional<[beta: number, threshold: number], SoftplusOptions>) {
    super(args, ['beta', 'threshold'], optionKeys<SoftplusOptions>({ beta: true, threshold: true }), 'nn_softplus');
    checkFinite(this.options.beta ?? 1, 'beta');
    checkFinite(this.options.threshold ?? 20, 'threshold');
  }
  override forward(input: Tensor): Tensor { return nnf_softplus(input, this.options); }
}
/** `nnf_softplus` as a module. @example nn_softplus({ beta: 2 }) */
export const nn_softplus = nn_module(Softplus, 'nn_softplus');
export type nn_softplus = Softplus;

const SHRINK_KEYS = optionKeys<ShrinkOptions>({ lambd: true });

/** The class behind `nn_hardshrink`. */
export class Hardshrink extends Activation<ShrinkOptions> {
  constructor(...args: Positional<[lambd: number], ShrinkOptions>) { super(args, ['lambd'], SHRINK_KEYS, 'nn_hardshrink'); checkFinite(this.options.lambd ?? 0.5, 'lambd'); }
  override forward(input: Tensor): Tensor { return nnf_hardshrink(input, this.options); }
}
/** `nnf_hardshrink` as a module. @example nn_hardshrink({ lambd: 0.3 }) */
export const nn_hardshrink = nn_module(Hardshrink, 'nn_hardshrink');
export type nn_hardshrink = Hardshrink;

/** The class behind `nn_softshrink`. */
export class Softshrink extends Activation<ShrinkOptions> {
  constructor(...args: Positional<[lambd: number], ShrinkOptions>) { super(args, ['lambd'], SHRINK_KEYS, 'nn_softshrink'); checkFinite(this.options.lambd ?? 0.5, 'lambd'); }
  override forward(input: Tensor): Tensor { return nnf_softshrink(input, this.options); }
}
/** `nnf_softshrink` as a module. @example nn_softshrink() */
export const nn_softshrink = nn_module(Softshrink, 'nn_softshrink');
export type nn_softshrink = Softshrink;

/** The class behind `nn_glu`. */
export class GLU extends Activation<{ dim?: number }> {
  constructor(...args: Positional<[dim: number], { dim?: number }>) { super(args, ['dim'], optionKeys<{ dim?: number }>({ dim: true }), 'nn_glu'); }
  override forward(input: Tensor): Tensor { return nnf_glu(input, this.options); }
}
/** `nnf_glu` as a module (halving `dim`, -1 by default). @example nn_glu({ dim: 1 }) */
export const nn_glu = nn_module(GLU, 'nn_glu');
export type nn_glu = GLU;

/** The class behind `nn_logsigmoid`. */
export class LogSigmoid extends ArgumentlessModule {
  override forward(input: Tensor): Tensor { return nnf_logsigmoid(input); }
}
/** `log(sigmoid(x))` as a module; R torch's name is `nn_log_sigmoid`. @example nn_log_sigmoid() */
export const nn_log_sigmoid = nn_module(LogSigmoid, 'nn_log_sigmoid');
export type nn_log_sigmoid = LogSigmoid;
/** `nn_log_sigmoid`, under the name of `nnf_logsigmoid`. @example nn_logsigmoid() */
export const nn_logsigmoid = nn_log_sigmoid;
export type nn_logsigmoid = LogSigmoid;

/** The class behind `nn_softsign`. */
export class Softsign extends ArgumentlessModule {
  override forward(input: Tensor): Tensor { return nnf_softsign(input); }
}
/** `x / (1 + |x|)` as a module. @example nn_softsign() */
export const nn_softsign = nn_module(Softsign, 'nn_softsign');
export type nn_softsign = Softsign;

/** The class behind `nn_tanhshrink`. */
export class Tanhshrink extends ArgumentlessModule {
  override forward(input: Tensor): Tensor { return nnf_tanhshrink(input); }
}
/** `x - tanh(x)` as a module. @example nn_tanhshrink() */
export const nn_tanhshrink = nn_module(Tanhshrink, 'nn_tanhshrink');
export type nn_tanhshrink = Tanhshrink;

export interface PReLUOptions extends FactoryOptions {
  /** 1 (one slope for all channels) or the number of channels (1). */
  num_parameters?: number;
  /** The slopes' initial value (0.25). */
  init?: number;
}
const PRELU_KEYS = optionKeys<PReLUOptions>({ num_parameters: true, init: true, ...FACTORY_KEYS });

/** The class behind `nn_prelu`. */
export class PReLU extends nn_Module {
  declare weight: nn_parameter;
  readonly num_parameters: number;
  readonly init: number;
  constructor(...args: Positional<[num_parameters: number, init: number], PReLUOptions>) {
    super();
    const options = positionalOptions<PReLUOptions>(args, ['num_parameters', 'init'], PRELU_KEYS, 'nn_prelu');
    const { num_parameters = 1, init = 0.25 } = options;
    this.num_parameters = checkPositiveInteger(num_parameters, 'num_parameters');
    this.init = checkFinite(init, 'init');
    this.weight = nn_parameter(torch_empty(num_parameters, factory(options)));
    this.reset_parameters();
  }
  /** Every slope `init`. */
  reset_parameters(): void { nn_init_constant_(this.weight, this.init); }
  override forward(input: Tensor): Tensor { return nnf_prelu(input, this.weight); }
}
/** Leaky ReLU with a learned slope, one for all channels or one per channel. @example nn_prelu(3); nn_prelu({ num_parameters: 3, init: 0.1 }) */
export const nn_prelu = nn_module(PReLU, 'nn_prelu');
export type nn_prelu = PReLU;
