// The model of the PEFT comparisons (test/hf/peft.test.ts): one of each layer kind LoRA
// supports, transformers' Conv1D included, under PEFT-style names (embed_tokens, layers.N,
// score). test/hf/peft_reference.py builds the same module tree in Python (same paths, same forward).
import {
  hf_conv1d, nn_conv2d, nn_embedding, nn_linear, nn_Module, nn_sequential, nnf_relu, torch_cat, type Tensor,
} from '../../src/index.js';

/** The sizes; peft_reference.py's NET is the same. */
export const NET = { vocab: 16, dim: 8, hidden: 12, blocks: 2, classes: 3, channels: 3, conv_out: 4 };

export class PeftBlock extends nn_Module {
  declare q_proj: nn_linear;
  declare v_proj: nn_linear;
  declare c_fc: hf_conv1d;
  declare c_proj: hf_conv1d;

  constructor() {
    super();
    this.q_proj = nn_linear(NET.dim, NET.dim);
    this.v_proj = nn_linear(NET.dim, NET.dim);
    this.c_fc = hf_conv1d(NET.hidden, NET.dim);
    this.c_proj = hf_conv1d(NET.dim, NET.hidden);
  }

  override forward(h: Tensor): Tensor {
    const a = nnf_relu(this.q_proj(h)).add(this.v_proj(h));
    return a.add(this.c_proj(nnf_relu(this.c_fc(a))));
  }
}

/** embed_tokens → layers → score, averaged over tokens; conv averaged over space; both concatenated. */
export class PeftNet extends nn_Module {
  declare embed_tokens: nn_embedding;
  declare layers: nn_sequential;
  declare score: nn_linear;
  declare conv: nn_conv2d;

  constructor() {
    super();
    this.embed_tokens = nn_embedding(NET.vocab, NET.dim);
    this.layers = nn_sequential(...Array.from({ length: NET.blocks }, () => new PeftBlock()));
    this.score = nn_linear(NET.dim, NET.classes);
    this.conv = nn_conv2d(NET.channels, NET.conv_out, 3, { stride: 2, padding: 1 });
  }

  override forward(tokens: Tensor, images: Tensor): Tensor {
    const text = this.score(this.layers(this.embed_tokens(tokens))).mean(1);
    const vision = this.conv(images).mean([2, 3]);
    return torch_cat([text, vision], 1);
  }
}
