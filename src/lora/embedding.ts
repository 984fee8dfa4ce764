// LoRA for nn_embedding (PEFT's lora.Embedding): the update of the table is (B·A)ᵀ, so a
// lookup adds embedding(x, Aᵀ) Bᵀ · scaling, with A = lora_embedding_A[name]
// (r x num_embeddings) and B = lora_embedding_B[name] (embedding_dim x r). With DoRA, a
// magnitude per embedding dimension rescales the adapted table's columns.
import { torch_randn } from '../ops/creation.js';
import { nnf_embedding } from '../nn/functional.js';
import { nn_init_normal_, nn_init_zeros_ } from '../nn/init.js';
import { nn_embedding } from '../nn/layers.js';
import { nn_module } from '../nn/generator.js';
import { nn_parameter } from '../nn/registry.js';
import type { Tensor } from '../ops/tensor.js';
import { AdapterDict } from './adapter_dict.js';
import { doraNorm, loraProduct } from './dora.js';
import { layerMaker, refuseSettings, type LoraKind } from './kind.js';
import { LoraLayer, scalingOf } from './layer.js';
import type { AdapterSettings } from './settings.js';

/** The layer LoRA wraps: an `nn_embedding`. */
export type EmbeddingBase = nn_embedding;

export class LoraEmbedding extends LoraLayer<EmbeddingBase> {
  declare lora_embedding_A: AdapterDict<Tensor>;
  declare lora_embedding_B: AdapterDict<Tensor>;
  /** @internal Made by lora_nn_embedding or lora_apply, which check the layer and the settings. */
  constructor(embedding: EmbeddingBase, adapter: string, settings: AdapterSettings) {
    super(embedding);
    this.lora_embedding_A = new AdapterDict();
    this.lora_embedding_B = new AdapterDict();
    this.lora_magnitude_vector = new AdapterDict();
    this.attach(adapter, settings);
  }

  get max_rank(): number { return embedding_kind.max_rank(this.base_layer); }

  // PEFT draws both with randn, then sets A to zeros and B to N(0, 1), whatever `init` says
  // (the update starts at zero because A does), unless init is "none" (init_lora_weights=False).
  protected create(name: string, settings: AdapterSettings): void {
    checkEmbeddingSettings(settings, 'lora_nn_embedding');
    const A = torch_randn([settings.r, this.base_layer.num_embeddings], this.factory);
    const B = torch_randn([this.base_layer.embedding_dim, settings.r], this.factory);
    if (settings.init !== 'none') {
      nn_init_zeros_(A);
      nn_init_normal_(B);
    }
    this.lora_embedding_A.put(name, nn_parameter(A));
    this.lora_embedding_B.put(name, nn_parameter(B));
    if (settings.use_dora) {
      // PEFT's DoraEmbeddingLayer: m = ‖Wᵀ + scaling · B·A‖ per embedding dimension.
      const product = loraProduct(A, B);
      this.lora_magnitude_vector.put(name, nn_parameter(doraNorm(this.base_layer.weight.t(), product, scalingOf(settings))));
      product.dispose();
    }
  }

  protected destroy(name: string): void {
    this.lora_embedding_A.remove(name);
    this.lora_embedding_B.remove(name);
    if (Object.prototype.hasOwnProperty.call(this.lora_magnitude_vector, name)) this.lora_magnitude_vector.remove(name);
  }

  // No dropout: dropping token indices means nothing (PEFT makes the module but never calls it).
  // The lookup takes every option of the base layer, as PEFT's _embed does: with max_norm, the
  // looked-up columns of A are renormalised in place too.
  protected lora_forward(input: Tensor, name: string, _result: Tensor): Tensor {
    const base = this.base_layer;
    const A = this.lora_embedding_A.get(name);
    const B = this.lora_embedding_B.get(name);
    const down = nnf_embedding(input, A.t(), {
      padding_idx: base.padding_idx, max_norm: base.max_norm, norm_type: base.norm_type, scale_grad_by_freq: base.scale_grad_by_freq, sparse: base.sparse,
    });
    const up = down.matmul(B.t());
    const term = up.mul(this.scaling[name]!);
    for (const t of [down, up]) t.dispose();
    return term;
  }

  /** DoRA as PEFT's DoraEmbeddingVariant: s·base + s·term, s = m / ‖Wᵀ + scaling·B·A‖ per dimension (the norm detached). */
  protected override adapt(result: Tensor, input: Tensor, name: string): Tensor {
    if (!this.settings[name]!.use_dora) return super.adapt(result, input, name);
    const term = this.lora_forward(input, name, result);
    const product = loraProduct(this.lora_embedding_A.get(name), this.lora_embedding_B.get(name));
    const norm = doraNorm(this.base_layer.weight.t(), product, this.scaling[name]!);
    const magScale = this.lora_magnitude_vector.get(name).div(norm);
    const scaledBase = magScale.mul(result);
    const scaledTerm = magScale.mul(term);
    const adapted = scaledBase.add(scaledTerm);
    for (const t of [result, term, product, norm, magScale, scaledBase, scaledTerm]) t.dispose();
    return adapted;
  }

  adapter_state(name: string): Record<string, Tensor> {
    const state: Record<string, Tensor> = { lora_embedding_A: this.lora_embedding_A.get(name), lora_embedding_B: this.lora_embedding_B.get(name) };
    if (this.settings[name]!.use_dora) state.lora_magnitude_vector = this.lora_magnitude_vector.get(name);
    return state;
  }

  /** DoRA's merge: the norms of (W + ΔW)ᵀ by embedding dimension, scaling the table's columns. */
  protected override dora_merge_norm(delta: Tensor): { norm: Tensor; factor_shape: number[] } {
    return { norm: doraNorm(this.base_layer.weight.t(), delta.t(), 1), factor_shape: [1, -1] };
  }

  delta_weight(adapter?: string): Tensor {
    const name = this.adapterName(adapter);
    const product = this.lora_embedding_B.get(name).matmul(this.lora_embedding_A.get(name));
    const delta = product.t().mul(this.scaling[name]!);
    product.dispose();
    return delta;
  }
}

const checkEmbeddingSettings = refuseSettings('nn_embedding', ['lora_bias'], 'PEFT has no LoRA bias for embeddings');

const makeLoraEmbedding = nn_module(LoraEmbedding, 'lora_nn_embedding');

export const embedding_kind: LoraKind<EmbeddingBase> = {
  base: nn_embedding,
  label: 'nn_embedding',
  wrap: makeLoraEmbedding,
  max_rank: (base) => Math.min(base.num_embeddings, base.embedding_dim),
  shapes: (base, { r, use_dora }) => ({
    lora_embedding_A: [r, base.num_embeddings], lora_embedding_B: [base.embedding_dim, r], ...(use_dora ? { lora_magnitude_vector: [base.embedding_dim] } : {}),
  }),
  check_settings: (settings, where) => checkEmbeddingSettings(settings, where),
};

/**
 * Wraps an `nn_embedding` with a LoRA adapter: the table is frozen and each lookup adds
 * `embedding(x, Aᵀ) Bᵀ · alpha / r`, with A (r x num_embeddings) starting at zeros and B
 * (embedding_dim x r) at N(0, 1), as PEFT does. `dropout` is accepted and not applied.
 *
 * @example
 * const embed = lora_nn_embedding(nn_embedding(1000, 64), { r: 4, alpha: 8 });
 * const vectors = embed(tokens);
 */
export const lora_nn_embedding = layerMaker(makeLoraEmbedding, embedding_kind, 'embedding');
export type lora_nn_embedding = LoraEmbedding;
