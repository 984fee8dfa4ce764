// A model made from a config (not loaded) starts as transformers' _init_weights makes it:
// linear and embedding weights N(0, initializer_range²), biases zero, the padding token's
// embedding zero, RMSNorm weights one. Checked by the sample statistics of each weight.
import { describe, expect, it } from 'vitest';
import { BertModel, GPT2LMHeadModel, LlamaForCausalLM, torch_manual_seed } from '../../src/index.js';

const CONFIG = {
  model_type: 'llama', vocab_size: 300, hidden_size: 128, intermediate_size: 320, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, max_position_embeddings: 128, initializer_range: 0.05, pad_token_id: 0, tie_word_embeddings: false, mlp_bias: true,
};

describe('a new Hugging Face model', () => {
  it('is initialised as transformers initialises it', () => {
    torch_manual_seed(0);
    const model = new LlamaForCausalLM(CONFIG);
    for (const [name, p] of Object.entries(model.named_parameters())) {
      if (name.endsWith('norm.weight')) {
        expect(p.eq(1).all().item(), name).toBe(true);
      } else if (name.endsWith('.bias')) {
        expect(p.eq(0).all().item(), name).toBe(true);
      } else {
        const values = name === 'model.embed_tokens.weight' ? p.index('1:') : p;
        // n >= 4,096 draws: the sample std of N(0, 0.05²) is within 5% of 0.05 (over 6 standard errors).
        expect(values.numel(), name).toBeGreaterThanOrEqual(4096);
        expect(Math.abs((values.std().item() as number) / 0.05 - 1), name).toBeLessThan(0.05);
        expect(Math.abs(values.mean().item() as number), name).toBeLessThan(0.005);
      }
    }
    expect(model.model.embed_tokens.weight.index(0).eq(0).all().item()).toBe(true);
  });

  it('needs config.json\'s model_type: transformers\' default sizes for {} would be a 7-billion-parameter Llama', () => {
    expect(() => new LlamaForCausalLM({})).toThrow(/Expected "llama" or "mistral" or "qwen2" for config.json's model_type \(Llama\) but received undefined/);
    expect(() => new GPT2LMHeadModel({ model_type: 'llama' })).toThrow(RangeError);
    expect(() => new BertModel(5 as never)).toThrow(TypeError);
  });
});
