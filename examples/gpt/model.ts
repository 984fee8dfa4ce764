// A character-level GPT (makemore's transformer, as a PyTorch user writes it): token and
// position embeddings, blocks in an nn_module_list, causal self-attention with separate q / k / v
// projections through scaled dot-product attention, layer norm, a GELU MLP, and an output head
// tied to the token embedding. Its Python twin is bench/gpt.py; both make their parameters in
// the same order, so the same seed gives the same model.
import {
  Embedding, Linear, nn_Module, nn_dropout, nn_embedding, nn_init_normal_, nn_init_zeros_, nn_layer_norm, nn_linear, nn_module_list, nnf_gelu,
  nnf_scaled_dot_product_attention, torch_arange, type ModuleList, type Tensor,
} from '../../src/index.js';

export interface GptConfig {
  vocab_size: number;
  block_size: number;
  n_layer: number;
  n_head: number;
  n_embd: number;
  dropout: number;
}

export class CausalSelfAttention extends nn_Module {
  q_proj; k_proj; v_proj; c_proj;
  readonly n_head: number;
  readonly dropout: number;

  constructor(config: GptConfig) {
    super();
    this.q_proj = nn_linear(config.n_embd, config.n_embd);
    this.k_proj = nn_linear(config.n_embd, config.n_embd);
    this.v_proj = nn_linear(config.n_embd, config.n_embd);
    this.c_proj = nn_linear(config.n_embd, config.n_embd);
    this.n_head = config.n_head;
    this.dropout = config.dropout;
  }

  override forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    const heads = (t: Tensor): Tensor => t.view(B, T, this.n_head, C / this.n_head).transpose(1, 2);
    const y = nnf_scaled_dot_product_attention(heads(this.q_proj(x)), heads(this.k_proj(x)), heads(this.v_proj(x)), {
      is_causal: true, dropout_p: this.training ? this.dropout : 0,
    });
    return this.c_proj(y.transpose(1, 2).contiguous().view(B, T, C));
  }
}

export class Mlp extends nn_Module {
  fc; proj;

  constructor(config: GptConfig) {
    super();
    this.fc = nn_linear(config.n_embd, 4 * config.n_embd);
    this.proj = nn_linear(4 * config.n_embd, config.n_embd);
  }

  override forward(x: Tensor): Tensor {
    return this.proj(nnf_gelu(this.fc(x)));
  }
}

export class Block extends nn_Module {
  ln_1; attn; ln_2; mlp;

  constructor(config: GptConfig) {
    super();
    this.ln_1 = nn_layer_norm(config.n_embd);
    this.attn = new CausalSelfAttention(config);
    this.ln_2 = nn_layer_norm(config.n_embd);
    this.mlp = new Mlp(config);
  }

  override forward(x: Tensor): Tensor {
    const h = x.add(this.attn(this.ln_1(x)));
    return h.add(this.mlp(this.ln_2(h)));
  }
}

export class Gpt extends nn_Module {
  wte; wpe; drop; blocks: ModuleList<Block>; ln_f;
  readonly config: GptConfig;

  constructor(config: GptConfig) {
    super();
    this.config = config;
    this.wte = nn_embedding(config.vocab_size, config.n_embd);
    this.wpe = nn_embedding(config.block_size, config.n_embd);
    this.drop = nn_dropout(config.dropout);
    this.blocks = nn_module_list(Array.from({ length: config.n_layer }, () => new Block(config)));
    this.ln_f = nn_layer_norm(config.n_embd);
    // GPT-2's initialisation (PyTorch's defaults would give N(0, 1) embeddings, and the tied
    // head logits of size √n_embd): every module, children first, as PyTorch's apply() walks.
    this.apply((module) => {
      if (module instanceof Linear) {
        nn_init_normal_(module.weight, 0, 0.02);
        if (module.bias !== null) nn_init_zeros_(module.bias);
      } else if (module instanceof Embedding) {
        nn_init_normal_(module.weight, 0, 0.02);
      }
    });
  }

  /** Logits (B x T x vocab) for token indices `idx` (B x T, int64). */
  override forward(idx: Tensor): Tensor {
    const T = idx.size(1);
    let x = this.drop(this.wte(idx).add(this.wpe(torch_arange(0, T, 1, { device: idx.device }))));
    for (const block of this.blocks) x = block(x);
    // The output head is the token embedding itself (weight tying).
    return this.ln_f(x).matmul(this.wte.weight.t());
  }
}
