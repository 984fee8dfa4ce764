// Text generation with a causal language model and its key/value cache, as transformers'
// `generate` does it: greedy (the highest logit, in float32) or sampling (temperature, top-k,
// top-p, in that order), position ids from the attention mask for left-padded batches, finished
// rows filled with pad_token_id, stopping when every row has met an eos token.
import { torch_arange, torch_ones, torch_tensor } from '../ops/creation.js';
import { torch_cat, torch_where } from '../ops/functions.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { with_no_grad } from '../ops/autograd.js';
import { torch_scope } from '../core/scope.js';
import { checkBoolean, checkInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import type { nn_Module } from '../nn/module.js';
import { checkAttentionMask } from './attention_masks.js';
import { HfCache, type KeyValueCacheLike } from './cache.js';

/** A model `generate` drives: transformers' causal-LM forward (LlamaForCausalLM and its kin, GPT2LMHeadModel). */
export interface HfCausalLM extends nn_Module {
  forward(input_ids: Tensor, options?: { attention_mask?: Tensor | null; position_ids?: Tensor | null; past_key_values?: KeyValueCacheLike | null; logits_to_keep?: number }):
    { logits: Tensor; past_key_values: KeyValueCacheLike | null };
}

/** What `generate` accepts (transformers' names and defaults). */
export interface GenerateOptions {
  /** Tokens to add to every row (20). */
  max_new_tokens?: number;
  /** Sample from the (filtered) distribution instead of taking the highest logit (false). */
  do_sample?: boolean;
  /** Sampling only: logits are divided by it (1). */
  temperature?: number;
  /** Sampling only: keep the k highest logits (50, transformers' default; 0 or null keeps all). */
  top_k?: number | null;
  /** Sampling only: keep the smallest set of tokens whose probability reaches it (1: all). */
  top_p?: number;
  /**
   * A row ends at this token (or any of these); by default generation_config.json's
   * eos_token_id, else config.json's (null: none). That file's sampling settings are not applied.
   */
  eos_token_id?: number | number[] | null;
  /** Fills ended rows, and marks padding in input_ids when no attention_mask is given (the first eos token by default). */
  pad_token_id?: number | null;
  /** batch x prompt length: 1 for tokens, 0 for (left) padding. */
  attention_mask?: Tensor | null;
}

const KEYS = optionKeys<GenerateOptions>({
  max_new_tokens: true, do_sample: true, temperature: true, top_k: true, top_p: true, eos_token_id: true, pad_token_id: true, attention_mask: true,
});

interface Sampling { temperature: number; top_k: number | null; top_p: number }

function checkSampling(options: GenerateOptions, do_sample: boolean): Sampling | null {
  const { temperature = 1, top_k = 50, top_p = 1 } = options;
  if (!do_sample) {
    const given = (['temperature', 'top_k', 'top_p'] as const).filter((key) => options[key] !== undefined);
    if (given.length > 0) failRange('no sampling option without do_sample: true (greedy decoding ignores them)', 'options', given.join(', '));
    return null;
  }
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) failRange('a positive number', 'temperature', temperature);
  if (top_k !== null && checkInteger(top_k, 'top_k') < 0) failRange('a non-negative integer', 'top_k', top_k);
  if (typeof top_p !== 'number' || !(top_p > 0 && top_p <= 1)) failRange('a number in (0, 1]', 'top_p', top_p);
  return { temperature, top_k: top_k === 0 ? null : top_k, top_p };
}

function tokenList(value: unknown, name: string): number[] {
  const list = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.map((token, i) => checkInteger(token, Array.isArray(value) ? `${name}[${i}]` : name));
}

// transformers' TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper, then a draw.
function sample(scores: Tensor, { temperature, top_k, top_p }: Sampling): Tensor {
  if (temperature !== 1) scores = scores.div(temperature);
  if (top_k !== null && top_k < scores.size(-1)) {
    const [kept] = scores.topk(top_k);
    scores = scores.masked_fill(scores.lt(kept.index('...', '-1:')), Number.NEGATIVE_INFINITY);
  }
  if (top_p < 1) {
    const [sorted, order] = scores.sort({ descending: false });
    const removed = sorted.softmax(-1).cumsum(-1).le(1 - top_p);
    removed.index_put_(['...', -1], false); // keep at least the most likely token
    scores = scores.masked_fill(removed.scatter(1, order, removed), Number.NEGATIVE_INFINITY);
  }
  return scores.softmax(-1).multinomial(1).squeeze(1);
}

/**
 * Continues each row of `input_ids` (int64, batch x prompt) by up to `max_new_tokens` tokens
 * with `model`'s key/value cache, and returns the whole sequences (batch x (prompt + new)), as
 * transformers' `generate`. Greedy by default, token for token what transformers chooses;
 * `do_sample` draws from torch's generator (`torch_manual_seed`). Left-pad batched prompts and
 * pass their `attention_mask`. Runs without gradients and frees what it makes but the result.
 *
 * @example
 * const out = generate(model, input_ids, { max_new_tokens: 32, eos_token_id: 2 });
 * const sampled = generate(model, input_ids, { do_sample: true, temperature: 0.7, top_p: 0.9 });
 */
export function generate(model: HfCausalLM, input_ids: Tensor, options: GenerateOptions = {}): Tensor {
  const checked = checkOptions(options, KEYS, 'generate');
  if (typeof model !== 'function' || typeof (model as nn_Module).forward !== 'function') fail('a causal language model (as hf_load returns)', 'model', model);
  checkTensor(input_ids, 'input_ids');
  if (input_ids.dim() !== 2 || input_ids.dtype !== 'int64') failRange('an int64 tensor, batch x prompt length', 'input_ids', `a ${input_ids.dtype} tensor of shape [${input_ids.shape.join(', ')}]`);
  const max_new_tokens = checkPositiveInteger(checked.max_new_tokens ?? 20, 'max_new_tokens');
  const sampling = checkSampling(checked, checkBoolean(checked.do_sample ?? false, 'do_sample'));
  const { config, generation_config } = model as unknown as Record<string, Record<string, unknown> | undefined>;
  const eos = tokenList(checked.eos_token_id === undefined ? generation_config?.eos_token_id ?? config?.eos_token_id : checked.eos_token_id, 'eos_token_id');
  const pad = checked.pad_token_id === undefined ? (generation_config?.pad_token_id ?? config?.pad_token_id ?? eos[0] ?? null) as number | null : checked.pad_token_id ?? eos[0] ?? null;
  if (pad !== null) checkInteger(pad, 'pad_token_id');
  const [batch, length] = input_ids.shape as [number, number];
  const device = input_ids.device;
  return with_no_grad(() => {
    const cache = new HfCache();
    let state = torch_scope(() => {
      let mask = checked.attention_mask == null ? null : checkAttentionMask(checked.attention_mask, batch, length).long();
      // transformers infers the mask from pad tokens in the prompt, unless pad is an eos token.
      if (mask === null && pad !== null && !eos.includes(pad) && input_ids.eq(pad).any().item()) mask = input_ids.ne(pad).long();
      const positions = mask === null ? torch_arange(0, length, 1, { dtype: 'int64', device }).unsqueeze(0) : mask.cumsum(-1).sub(1).masked_fill(mask.eq(0), 0);
      return { ids: input_ids.clone(), mask, positions, unfinished: torch_ones(batch, { dtype: 'bool', device }) };
    });
    const eosTensor = eos.length > 0 ? torch_tensor(eos, { dtype: 'int64', device }) : null;
    let done = false;
    try {
      for (let step = 0; step < max_new_tokens; step += 1) {
        const previous = state;
        state = torch_scope(() => {
          const inputs = step === 0 ? previous.ids : previous.ids.index(':', '-1:');
          const positions = step === 0 ? previous.positions : previous.positions.index(':', '-1:');
          const { logits } = model(inputs, { attention_mask: previous.mask, position_ids: positions, past_key_values: cache, logits_to_keep: 1 });
          const scores = logits.index(':', -1).to({ dtype: 'float32' });
          let next = sampling === null ? scores.argmax(-1) : sample(scores, sampling);
          if (eosTensor !== null) next = torch_where(previous.unfinished, next, pad ?? 0);
          const unfinished = eosTensor === null ? previous.unfinished : previous.unfinished.logical_and(next.unsqueeze(-1).eq(eosTensor).any(-1).logical_not());
          return {
            ids: torch_cat([previous.ids, next.unsqueeze(-1)], -1),
            mask: previous.mask === null ? null : torch_cat([previous.mask, torch_ones([batch, 1], { dtype: 'int64', device })], -1),
            positions: torch_cat([previous.positions, previous.positions.index(':', '-1:').add(1)], -1),
            unfinished,
          };
        });
        const kept = new Set(Object.values(state));
        for (const tensor of Object.values(previous)) if (tensor !== null && !kept.has(tensor)) tensor.dispose();
        if (!torch_scope(() => state.unfinished.any().item())) break;
      }
      done = true;
      return state.ids;
    } finally {
      for (const [key, tensor] of Object.entries(state)) if ((key !== 'ids' || !done) && tensor !== null) tensor.dispose();
      eosTensor?.dispose();
      cache.dispose();
    }
  });
}
