// What every LoRA layer shares, as PEFT's LoraLayer has it: the wrapped `base_layer`
// (frozen), named adapters each with its rank, alpha, scaling and dropout, the active
// adapter, and merging into the base weight in place. Each kind of layer (linear.ts,
// embedding.ts, conv2d.ts) says how its A and B are made, how its low-rank term is computed
// and what ΔW is.
import { with_no_grad } from '../ops/autograd.js';
import { nn_Module } from '../nn/module.js';
import type { nn_state } from '../nn/state_keys.js';
import type { Tensor } from '../ops/tensor.js';
import { fail, failRange } from '../core/validate.js';
import type { AdapterDict } from './adapter_dict.js';
import type { RowGroups } from './mixed.js';
import { adapterSettings, checkAdapterName, mergeOptions, type AdapterSettings, type LoraOptions, type MergeOptions } from './settings.js';

/** @internal alpha / r, or alpha / √r with rslora. */
export function scalingOf(settings: AdapterSettings): number {
  return settings.use_rslora ? settings.alpha / Math.sqrt(settings.r) : settings.alpha / settings.r;
}

/** @internal Runs a layer whose forward takes one tensor (modules are callable, but typed by their forward). */
export function call(layer: nn_Module, input: Tensor): Tensor {
  return (layer as unknown as (x: Tensor) => Tensor)(input);
}

/** @internal A layer's base weight (and bias, where an adapter changes it) with an adapter merged or taken out: new tensors. */
export interface MergedValues {
  weight: Tensor;
  bias?: Tensor;
}

/** Counts the values of `tensor` that are NaN or infinite. */
function nonFiniteCount(tensor: Tensor): number {
  return with_no_grad(() => tensor.isfinite().logical_not().sum().item() as number);
}

/**
 * The base class of the LoRA layers. `forward` runs the base layer and adds the active
 * adapter's low-rank term, unless an adapter is merged (then the base layer alone holds it)
 * or no adapter is active.
 */
export abstract class LoraLayer<Base extends nn_Module & { weight: Tensor } = nn_Module & { weight: Tensor }> extends nn_Module {
  /** For state_dict's type: registered under computed names, so any key. */
  declare readonly [nn_state]?: Record<string, Tensor>;
  declare base_layer: Base;
  /** Each adapter's rank. */
  readonly r: Record<string, number> = {};
  /** Each adapter's alpha. */
  readonly lora_alpha: Record<string, number> = {};
  /** Each adapter's scale factor: alpha / r, or alpha / √r with rslora. */
  readonly scaling: Record<string, number> = {};
  /** Each adapter's settings, checked and frozen. */
  readonly settings: Record<string, AdapterSettings> = {};
  /** DoRA's magnitudes, for the adapters with use_dora (each kind makes the dict before its first adapter). */
  declare lora_magnitude_vector: AdapterDict<Tensor>;
  /** The norms each merged DoRA adapter was merged with, to unmerge it (PEFT caches them too). */
  private readonly dora_norms = new Map<string, { norm: Tensor; factor_shape: number[] }>();
  /** The adapter `forward` adds, or null (the base layer alone). */
  active_adapter: string | null = null;
  /** Adapters added into the base weight, in the order they were merged. */
  readonly merged_adapters: string[] = [];
  /**
   * @internal While with_adapter_names runs: the adapter of each row of the batch (null: the
   * base alone), grouped, in place of the active one.
   */
  row_adapters: RowGroups | null = null;

  // The base is frozen when the first adapter is attached; the layer's maker checks the options
  // before the layer is made, so a refused layer leaves the base layer as it was.
  protected constructor(base: Base) {
    super();
    this.base_layer = base;
  }

  /** The largest rank an update of this layer can have: min(in, out). */
  abstract get max_rank(): number;
  /** Makes adapter `name`'s A and B on the base weight's device and dtype. */
  protected abstract create(name: string, settings: AdapterSettings): void;
  /** Removes adapter `name`'s A and B. */
  protected abstract destroy(name: string): void;
  /** The adapter's term added to `result`, the base output (DoRA reads it): never builds B·A. */
  protected abstract lora_forward(input: Tensor, name: string, result: Tensor): Tensor;
  /** The adapter's tensors under PEFT's key suffixes (`lora_A.weight`, ...). */
  abstract adapter_state(name: string): Record<string, Tensor>;
  /** ΔW = (B·A)·scaling, shaped as the base weight. @example const delta = lora.delta_weight() */
  abstract delta_weight(adapter?: string): Tensor;

  /** The names of this layer's adapters, in the order they were added. @example lora.adapters // ['default'] */
  get adapters(): string[] {
    return Object.keys(this.r);
  }

  /** Whether an adapter is merged into the base weight (forward then runs the base alone). */
  get merged(): boolean {
    return this.merged_adapters.length > 0;
  }

  override forward(input: Tensor): Tensor {
    const result = call(this.base_layer, input);
    if (this.row_adapters !== null && !this.merged) return this.mixed_add(result, input, this.row_adapters);
    const name = this.active_adapter;
    if (this.merged || name === null || !(name in this.r)) return result;
    return this.adapt(result, input, name);
  }

  /**
   * `result` (the base layer's output, which it takes over) plus the terms of a batch whose rows
   * use different adapters, as one batched computation. Each kind of layer that supports it
   * overrides this; the others refuse.
   */
  protected mixed_add(_result: Tensor, _input: Tensor, _rows: RowGroups): Tensor {
    return fail('a model whose LoRA layers are all linear (mixed-adapter batches are implemented for lora_nn_linear)', 'model', this);
  }

  /** `result` (the base output, which it takes over) with adapter `name` applied: plus its term. */
  protected adapt(result: Tensor, input: Tensor, name: string): Tensor {
    return this.add_term(result, this.lora_forward(input, name, result));
  }

  private add_term(result: Tensor, term: Tensor): Tensor {
    const sum = result.add(term);
    term.dispose();
    result.dispose();
    return sum;
  }

  /** Adapter `name`, or the active one when omitted; throws if the layer lacks it. */
  protected adapterName(name: string | undefined, label = 'adapter'): string {
    const chosen = name ?? this.active_adapter;
    if (chosen === null || !(chosen in this.r)) {
      failRange(`one of this layer's adapters (${this.adapters.map((a) => JSON.stringify(a)).join(', ') || 'none'})`, label, chosen);
    }
    return chosen;
  }

  /**
   * Adds a new adapter (the first one added becomes active) and freezes the base layer;
   * returns this layer.
   *
   * @example
   * lora.add_adapter('task_b', { r: 4, alpha: 8 });
   */
  add_adapter(name: string, options?: LoraOptions): this {
    checkAdapterName(name, 'name');
    if (name in this.r) failRange(`a new adapter name (delete_adapter("${name}") first to replace it)`, 'name', name);
    return this.attach(name, adapterSettings(options, this.max_rank, 'add_adapter'));
  }

  /**
   * @internal Adds adapter `name`, new to this layer, with settings checked for this layer (by
   * add_adapter, the layer's maker or lora_apply's plan), and freezes the base layer.
   */
  attach(name: string, settings: AdapterSettings): this {
    this.create(name, settings);
    // The base is a constant for autograd: only the adapter's tensors are trained...
    for (const parameter of this.base_layer.parameters) parameter.requires_grad_(false);
    this.r[name] = settings.r;
    this.lora_alpha[name] = settings.alpha;
    this.scaling[name] = scalingOf(settings);
    this.settings[name] = settings;
    if (this.active_adapter === null) this.active_adapter = name;
    // ...but for the base bias the active adapter trains with bias "lora_only" (the model's
    // active adapter may be one this layer does not have).
    if (this.active_adapter in this.r) this.adapter_state(this.active_adapter)['base_layer.bias']?.requires_grad_(true);
    return this;
  }

  /** Removes an adapter; if it was active, the first remaining one becomes active. @example lora.delete_adapter('task_b') */
  delete_adapter(name: string): void {
    this.adapterName(name, 'name');
    if (this.merged_adapters.includes(name)) failRange('an adapter that is not merged (unmerge() first)', 'name', name);
    this.detach(name);
  }

  /** @internal Removes adapter `name`, which this layer has unmerged (its callers check). */
  detach(name: string): void {
    this.destroy(name);
    for (const record of [this.r, this.lora_alpha, this.scaling, this.settings]) delete record[name];
    if (this.active_adapter === name) this.active_adapter = this.adapters[0] ?? null;
  }

  /**
   * Makes `name` the adapter `forward` adds (null: none), and its A and B the only trainable
   * parameters of this layer. Refused while another adapter is merged.
   *
   * @example lora.set_adapter('task_b')
   */
  set_adapter(name: string | null): void {
    if (name !== null) this.adapterName(name);
    this.check_switch(name);
    this.activate(name, true);
  }

  /** @internal Throws unless `name` can be made active: while merged, only the merged adapter can. */
  check_switch(name: string | null, where = 'this layer'): void {
    const merged = this.merged_adapters;
    if (merged.length > 0 && !(merged.length === 1 && merged[0] === name)) {
      failRange(`the merged adapter "${merged.join('", "')}" (${where} has it merged; unmerge first)`, 'adapter', name);
    }
  }

  /**
   * @internal Sets the active adapter, unchecked: a model's layers may not all have it, and
   * callers check merged layers (check_switch) before changing any.
   */
  activate(name: string | null, setTrainable: boolean): void {
    this.active_adapter = name;
    if (!setTrainable) return;
    // The others first: a tensor two adapters share (the base bias, with bias "lora_only") trains with the active one.
    for (const adapter of this.adapters) {
      if (adapter !== name) for (const tensor of Object.values(this.adapter_state(adapter))) tensor.requires_grad_(false);
    }
    if (name !== null && name in this.r) for (const tensor of Object.values(this.adapter_state(name))) tensor.requires_grad_(true);
  }

  /**
   * Adds ΔW = (B·A)·scaling into the base weight in place (the same tensor), without
   * recording gradients; forward then runs the base layer alone. DoRA rescales the merged
   * rows by its magnitudes, lora_bias adds B's bias into the base bias, as PEFT merges them.
   * With `safe`, the result is computed aside first and refused (RangeError, weight
   * untouched) if any value is not finite.
   * Merging an adapter that is already merged does nothing.
   *
   * @example
   * lora.merge();               // serve at the base layer's speed
   * lora.merge({ safe: true }); // or refuse a NaN/Inf result
   */
  merge(options?: MergeOptions): void {
    const { adapter, safe } = mergeOptions(options, 'merge');
    const name = this.adapterName(adapter);
    if (safe) this.check_finite_merge(name, 'this layer');
    this.merge_adapter(name);
  }

  /** @internal Merges adapter `name`, which this layer has (its callers check); a merged one stays as it is. */
  merge_adapter(name: string): void {
    if (this.merged_adapters.includes(name)) return;
    this.check_mergeable(name);
    with_no_grad(() => this.assign(this.merged_values(name)));
    this.merged_adapters.push(name);
  }

  /**
   * @internal Throws unless adapter `name` can be merged now: a DoRA adapter is merged alone, as
   * its norms are those of the unmerged weight (PEFT unmerges the others around it instead).
   */
  check_mergeable(name: string, where = 'this layer'): void {
    const others = this.merged_adapters.filter((adapter) => adapter !== name);
    if (this.settings[name]?.use_dora && others.length > 0) {
      failRange(`no other merged adapter when merging a DoRA one (${where} has "${others.join('", "')}" merged; unmerge first)`, 'adapter', name);
    }
  }

  /**
   * DoRA's ‖W + ΔW‖ per output for a merge (ΔW laid out as the base weight), and the shape that
   * makes magnitude / norm scale the weight's output slices: each kind that implements DoRA says.
   */
  protected dora_merge_norm(_delta: Tensor): { norm: Tensor; factor_shape: number[] } {
    return fail('a layer kind that implements DoRA', 'adapter', this);
  }

  /**
   * The base weight with adapter `name` merged: W + ΔW, or with DoRA, as PEFT,
   * (m / ‖W + ΔW‖)·(W + ΔW) by output (a kind with more to merge overrides this).
   */
  protected merged_values(name: string): MergedValues {
    const delta = this.delta_weight(name);
    let weight: Tensor;
    if (this.settings[name]!.use_dora) {
      const merge = this.dora_merge_norm(delta);
      this.dora_norms.get(name)?.norm.dispose();
      this.dora_norms.set(name, merge);
      const factor = this.dora_factor(name, merge.norm, merge.factor_shape);
      const sum = this.base_layer.weight.add(delta);
      weight = factor.mul(sum);
      for (const t of [factor, sum]) t.dispose();
    } else {
      weight = this.base_layer.weight.add(delta);
    }
    delta.dispose();
    return { weight };
  }

  /** The base weight with merged adapter `name` taken out again: W - ΔW, or W / (m / norm) - ΔW with the norm DoRA merged with. */
  protected unmerged_values(name: string): MergedValues {
    const delta = this.delta_weight(name);
    const merge = this.dora_norms.get(name);
    let weight: Tensor;
    if (merge !== undefined) {
      const factor = this.dora_factor(name, merge.norm, merge.factor_shape);
      const divided = this.base_layer.weight.div(factor);
      weight = divided.sub(delta);
      for (const t of [factor, divided, merge.norm]) t.dispose();
      this.dora_norms.delete(name);
    } else {
      weight = this.base_layer.weight.sub(delta);
    }
    delta.dispose();
    return { weight };
  }

  /** m / norm, shaped to scale the weight's output slices. */
  private dora_factor(name: string, norm: Tensor, shape: number[]): Tensor {
    const factor = this.lora_magnitude_vector.get(name).div(norm);
    const shaped = factor.view(...shape);
    factor.dispose();
    return shaped;
  }

  /** Copies merged values into the base layer's weight and bias, and frees them. */
  private assign(values: MergedValues): void {
    this.base_layer.weight.copy_(values.weight);
    values.weight.dispose();
    if (values.bias !== undefined) {
      (this.base_layer as unknown as { bias: Tensor }).bias.copy_(values.bias);
      values.bias.dispose();
    }
  }

  /**
   * Throws a RangeError, changing nothing, if merging `adapter` would put a NaN or an
   * infinity into the base weight. @example lora.check_merge('default')
   */
  check_merge(adapter?: string, where = 'this layer'): void {
    this.check_finite_merge(this.adapterName(adapter), where);
  }

  /** @internal check_merge for adapter `name`, which this layer has (its callers check); `where` names the layer. */
  check_finite_merge(name: string, where: string): void {
    if (this.merged_adapters.includes(name)) return;
    const bad = with_no_grad(() => {
      const { weight, bias } = this.merged_values(name);
      const count = nonFiniteCount(weight) + (bias === undefined ? 0 : nonFiniteCount(bias));
      weight.dispose();
      bias?.dispose();
      return count;
    });
    if (bad > 0) {
      throw new RangeError(`Expected a finite merged weight for adapter "${name}" of ${where} but received one with ${bad} non-finite values; nothing was merged`);
    }
  }

  /** Takes every merged adapter out of the base weight again, last merged first (to float rounding). @example lora.unmerge() */
  unmerge(): void {
    with_no_grad(() => {
      while (this.merged_adapters.length > 0) {
        this.assign(this.unmerged_values(this.merged_adapters[this.merged_adapters.length - 1]!));
        this.merged_adapters.pop();
      }
    });
  }

  /** Where and as what this layer's adapters are made: the base weight's device and dtype. */
  protected get factory(): { device: string; dtype: Tensor['dtype'] } {
    return { device: this.base_layer.weight.device, dtype: this.base_layer.weight.dtype };
  }
}
