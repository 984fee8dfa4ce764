// Bags of embeddings, as R torch and PyTorch have them: `nnf_embedding_bag` sums, averages or
// takes the max of the rows of `weight` each bag picks, without making the rows themselves
// (libtorch's embedding_bag), and `nn_embedding_bag` holds the table. Checks and argument
// handling are torch.nn.functional.embedding_bag's.
import { atenOp } from '../ops/aten.js';
import { torch_arange, torch_empty } from '../ops/creation.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkInteger, checkNonNegativeInteger, checkNumber, fail, failRange, optionKeys } from '../core/validate.js';
import { checkMaxNorm, embeddingRenorm_, optionalTensor, paddingRow, resetEmbeddingTable } from './checks.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_parameter } from './registry.js';
import { factory, FACTORY_KEYS, positionalOptions, type FactoryOptions, type Positional } from './options.js';

const EMBEDDING_BAG = atenOp('embedding_bag', 'padding_idx');
const MODES = { sum: 0, mean: 1, max: 2 } as const;

export interface EmbeddingBagOptions {
  /** Where each bag of a 1-d `input` starts (1-d int64); none for a 2-d input, whose rows are the bags. */
  offsets?: Tensor | null;
  /** Rows picked whose `norm_type`-norm exceeds this are first rescaled to it, in place. */
  max_norm?: number | null;
  norm_type?: number;
  scale_grad_by_freq?: boolean;
  /** "mean" (the default), "sum" or "max". */
  mode?: 'sum' | 'mean' | 'max';
  sparse?: boolean;
  /** A weight for each index of `input` (mode "sum" only). */
  per_sample_weights?: Tensor | null;
  /** `offsets` has one more entry, the end of the last bag (false). */
  include_last_offset?: boolean;
  /** Indices equal to this are left out of their bag. */
  padding_idx?: number | null;
}
const EMBEDDING_BAG_KEYS = optionKeys<EmbeddingBagOptions>({
  offsets: true, max_norm: true, norm_type: true, scale_grad_by_freq: true, mode: true, sparse: true, per_sample_weights: true,
  include_last_offset: true, padding_idx: true,
});

/**
 * The sum, mean or max of the rows of `weight` that each bag of indices picks: the rows of a
 * 2-d `input`, or the runs of a 1-d `input` that `offsets` starts (indices 0-based).
 *
 * @example
 * nnf_embedding_bag(torch_tensor([[0, 2], [1, 1]], { dtype: 'int64' }), table)
 * nnf_embedding_bag(indices, table, { offsets: torch_tensor([0, 3], { dtype: 'int64' }), mode: 'sum' })
 */
export function nnf_embedding_bag(input: Tensor, weight: Tensor, ...args: Positional<[
  offsets: Tensor | null, max_norm: number | null, norm_type: number, scale_grad_by_freq: boolean, mode: 'sum' | 'mean' | 'max', sparse: boolean,
  per_sample_weights: Tensor | null, include_last_offset: boolean, padding_idx: number | null,
], EmbeddingBagOptions>): Tensor {
  const names = ['offsets', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'mode', 'sparse', 'per_sample_weights', 'include_last_offset', 'padding_idx'] as const;
  const {
    offsets = null, max_norm = null, norm_type = 2, scale_grad_by_freq = false, mode = 'mean', sparse = false, per_sample_weights = null,
    include_last_offset = false, padding_idx = null,
  } = positionalOptions<EmbeddingBagOptions>(args, names, EMBEDDING_BAG_KEYS, 'nnf_embedding_bag');
  checkTensor(input, 'input');
  checkTensor(weight, 'weight');
  let perSample = optionalTensor(per_sample_weights, 'per_sample_weights');
  if (perSample !== null && perSample.shape.join() !== input.shape.join()) {
    failRange(`per_sample_weights of the input's shape [${input.shape.join(', ')}]`, 'per_sample_weights', `shape [${perSample.shape.join(', ')}]`);
  }
  if (weight.dim() !== 2) failRange('a 2-d weight', 'weight', `a ${weight.dim()}-d tensor`);
  const modeCode = MODES[mode as keyof typeof MODES];
  if (typeof mode !== 'string' || modeCode === undefined) fail('"sum", "mean" or "max"', 'mode', mode);
  const byFrequency = checkBoolean(scale_grad_by_freq, 'scale_grad_by_freq');
  const sparseGrad = checkBoolean(sparse, 'sparse');
  let lastOffset = checkBoolean(include_last_offset, 'include_last_offset');
  if (mode === 'max' && byFrequency) fail('no scale_grad_by_freq with mode "max"', 'scale_grad_by_freq', scale_grad_by_freq);
  if (mode === 'max' && sparseGrad) fail('no sparse with mode "max"', 'sparse', sparse);
  if (perSample !== null && mode !== 'sum') fail('no per_sample_weights but with mode "sum"', 'per_sample_weights', per_sample_weights);
  const padding = padding_idx === null ? null : checkInteger(padding_idx, 'padding_idx');
  const normType = checkNumber(norm_type, 'norm_type');
  const made: Tensor[] = [];
  let indices = input;
  let starts: Tensor;
  if (input.dim() === 2) {
    if (offsets !== null) fail('no offsets with a 2-d input (its rows are the bags)', 'offsets', offsets);
    starts = torch_arange(0, input.numel(), input.size(1), { dtype: input.dtype, device: input.device });
    lastOffset = false;
    indices = input.reshape(-1);
    made.push(starts, indices);
    if (perSample !== null) made.push(perSample = perSample.reshape(-1));
  } else if (input.dim() === 1) {
    if (offsets === null) fail('offsets (a 1-d tensor) with a 1-d input', 'offsets', offsets);
    if (checkTensor(offsets, 'offsets').dim() !== 1) failRange('a 1-d tensor', 'offsets', `a ${offsets.dim()}-d tensor`);
    starts = offsets;
  } else {
    return failRange('a 1-d or 2-d tensor', 'input', `a ${input.dim()}-d tensor`);
  }
  if (max_norm !== null) embeddingRenorm_(weight, indices, checkMaxNorm(max_norm), normType);
  const [result, ...rest] = EMBEDDING_BAG.call<Tensor[]>(weight, indices, starts, byFrequency, modeCode, sparseGrad, perSample, lastOffset, padding);
  for (const tensor of [...rest, ...made]) tensor.dispose();
  return result!;
}

export interface EmbeddingBagLayerOptions extends FactoryOptions, Omit<EmbeddingBagOptions, 'offsets' | 'per_sample_weights'> {}
const EMBEDDING_BAG_LAYER_KEYS = optionKeys<EmbeddingBagLayerOptions>({
  max_norm: true, norm_type: true, scale_grad_by_freq: true, mode: true, sparse: true, include_last_offset: true, padding_idx: true, ...FACTORY_KEYS,
});

/** The class behind `nn_embedding_bag`. */
export class EmbeddingBag extends nn_Module {
  declare weight: nn_parameter;
  readonly num_embeddings: number;
  readonly embedding_dim: number;
  readonly padding_idx: number | null;
  readonly settings: Readonly<Omit<EmbeddingBagOptions, 'offsets' | 'per_sample_weights'>>;

  /** `max_norm` to `sparse` may come positionally, in R's and PyTorch's order (after them the two differ). */
  constructor(num_embeddings: number, embedding_dim: number, ...args: Positional<[
    max_norm: number | null, norm_type: number, scale_grad_by_freq: boolean, mode: 'sum' | 'mean' | 'max', sparse: boolean,
  ], EmbeddingBagLayerOptions>) {
    super();
    const names = ['max_norm', 'norm_type', 'scale_grad_by_freq', 'mode', 'sparse'] as const;
    const options = positionalOptions<EmbeddingBagLayerOptions>(args, names, EMBEDDING_BAG_LAYER_KEYS, 'nn_embedding_bag');
    const { dtype: _, device: __, padding_idx = null, ...settings } = options;
    this.num_embeddings = checkNonNegativeInteger(num_embeddings, 'num_embeddings');
    this.embedding_dim = checkNonNegativeInteger(embedding_dim, 'embedding_dim');
    this.padding_idx = paddingRow(padding_idx, num_embeddings);
    this.settings = Object.freeze({ ...settings, padding_idx: this.padding_idx });
    this.weight = nn_parameter(torch_empty(num_embeddings, embedding_dim, factory(options)));
    this.reset_parameters();
  }

  /** N(0, 1), with the padding row zeroed, as PyTorch's. */
  reset_parameters(): void {
    resetEmbeddingTable(this.weight, this.padding_idx);
  }

  override forward(input: Tensor, offsets?: Tensor | null, per_sample_weights?: Tensor | null): Tensor {
    return nnf_embedding_bag(input, this.weight, { ...this.settings, offsets: offsets ?? null, per_sample_weights: per_sample_weights ?? null });
  }
}

/**
 * A table of `num_embeddings` vectors whose forward reduces bags of them (`mode`: "mean" by
 * default, "sum", "max"): `bag(input, offsets?, per_sample_weights?)`.
 *
 * @example
 * const bag = nn_embedding_bag(1000, 64, { mode: 'sum' });
 * const vectors = bag(indices, offsets); // one vector per bag
 */
export const nn_embedding_bag = nn_module(EmbeddingBag, 'nn_embedding_bag');
export type nn_embedding_bag = EmbeddingBag;
