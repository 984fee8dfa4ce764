// state_dict()'s typed keys (src/nn/state_keys.ts) against the keys it returns and PyTorch's.
// Each case names the typed keys twice, all of them and the required ones: the compiler
// (test/typecheck.test.ts) checks that those lists are exactly the type's; the run checks
// that every key returned is typed, that every required one is returned, and that the keys
// are PyTorch's. The PyTorch lists were printed by the venv's torch 2.13, e.g.
// `python -c "import torch; print(list(torch.nn.BatchNorm1d(3).state_dict()))"` (the
// composite modules' twins are in the comments beside them).
import { describe, expect, it } from 'vitest';
import {
  hf_conv1d, nn_batch_norm1d, nn_batch_norm2d, nn_batch_norm3d, nn_buffer, nn_conv1d, nn_conv2d, nn_conv3d, nn_conv_transpose1d, nn_conv_transpose2d,
  nn_conv_transpose3d, nn_dropout, nn_embedding, nn_embedding_bag, nn_gelu, nn_group_norm, nn_identity, nn_layer_norm, nn_linear, nn_Module, nn_module,
  nn_module_dict, nn_module_list, nn_parameter, nn_prelu, nn_relu, nn_rms_norm, nn_sequential, nn_state, nn_tanh, nn_utils_weight_norm, lora_apply,
  nn_bce_loss, nn_bce_with_logits_loss, nn_cross_entropy_loss, nn_mse_loss, nn_multi_margin_loss, nn_multilabel_soft_margin_loss, nn_nll_loss,
  torch_ones, torch_tensor, torch_zeros, type nn_state_dict, type Tensor,
} from '../src/index.js';

type Keys<S> = keyof S & string;
type RequiredKeys<S> = { [K in keyof S]-?: {} extends Pick<S, K> ? never : K }[keyof S] & string;
// `K` when it lists exactly the keys `All` (in any order), else never (a compile error at the call).
type Exactly<All, K extends readonly string[]> = [Exclude<All, K[number]>] extends [never] ? [Exclude<K[number], All>] extends [never] ? K : never : never;

function typed<M extends nn_Module, const A extends readonly string[], const R extends readonly string[]>(
  module: M, all: A & Exactly<Keys<nn_state_dict<M>>, A>, required: R & Exactly<RequiredKeys<nn_state_dict<M>>, R>, torch: readonly string[],
): void {
  const actual = Object.keys(module.state_dict());
  expect(actual).toEqual(torch);
  for (const key of actual) expect(all).toContain(key);
  for (const key of required) expect(actual).toContain(key);
}

describe('state_dict keys typed for the built-in layers', () => {
  it('are the keys they return, and PyTorch\'s', () => {
    typed(nn_linear(2, 3), ['weight', 'bias'], ['weight'], ['weight', 'bias']);
    typed(nn_linear(2, 3, { bias: false }), ['weight', 'bias'], ['weight'], ['weight']);   // nn.Linear(2, 3, bias=False)
    typed(nn_embedding(3, 2), ['weight'], ['weight'], ['weight']);
    typed(nn_embedding_bag(3, 2), ['weight'], ['weight'], ['weight']);
    typed(nn_conv1d(2, 2, 1), ['weight', 'bias'], ['weight'], ['weight', 'bias']);
    typed(nn_conv2d(2, 2, 1), ['weight', 'bias'], ['weight'], ['weight', 'bias']);
    typed(nn_conv3d(2, 2, 1), ['weight', 'bias'], ['weight'], ['weight', 'bias']);
    typed(nn_conv_transpose1d(2, 2, 1), ['weight', 'bias'], ['weight'], ['weight', 'bias']);
    typed(nn_conv_transpose2d(2, 2, 1), ['weight', 'bias'], ['weight'], ['weight', 'bias']);
    typed(nn_conv_transpose3d(2, 2, 1), ['weight', 'bias'], ['weight'], ['weight', 'bias']);
    typed(nn_layer_norm(3), ['weight', 'bias'], [], ['weight', 'bias']);
    typed(nn_layer_norm(3, { bias: false }), ['weight', 'bias'], [], ['weight']);           // nn.LayerNorm(3, bias=False)
    const norm = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'] as const;
    typed(nn_batch_norm1d(3), norm, [], norm);
    typed(nn_batch_norm2d(3), norm, [], norm);
    typed(nn_batch_norm3d(3), norm, [], norm);
    typed(nn_batch_norm1d(3, { affine: false }), norm, [], ['running_mean', 'running_var', 'num_batches_tracked']);
    typed(nn_batch_norm1d(3, { track_running_stats: false }), norm, [], ['weight', 'bias']);
    typed(nn_group_norm(1, 2), ['weight', 'bias'], [], ['weight', 'bias']);
    typed(nn_rms_norm(3), ['weight'], [], ['weight']);
    typed(nn_prelu(), ['weight'], ['weight'], ['weight']);
    typed(hf_conv1d(3, 2), ['weight', 'bias'], ['weight', 'bias'], ['weight', 'bias']); // transformers' Conv1D(3, 2)
    typed(nn_relu(), [], [], []);
    typed(nn_tanh(), [], [], []);
    typed(nn_gelu(), [], [], []);
    typed(nn_dropout(), [], [], []);
    typed(nn_identity(), [], [], []);
  });

  it('weighted losses hold weight (and pos_weight) as buffers, as PyTorch\'s: in the state_dict when given, moved by to(), loaded, and used', () => {
    const w = torch_ones(3);
    typed(nn_nll_loss({ weight: w }), ['weight'], [], ['weight']);                          // nn.NLLLoss(weight=w)
    typed(nn_cross_entropy_loss({ weight: w }), ['weight'], [], ['weight']);
    typed(nn_cross_entropy_loss(), ['weight'], [], []);                                     // nn.CrossEntropyLoss()
    typed(nn_bce_loss({ weight: w }), ['weight'], [], ['weight']);
    typed(nn_bce_with_logits_loss({ weight: w, pos_weight: w }), ['weight', 'pos_weight'], [], ['weight', 'pos_weight']);
    typed(nn_bce_with_logits_loss({ pos_weight: w }), ['weight', 'pos_weight'], [], ['pos_weight']);
    typed(nn_multilabel_soft_margin_loss({ weight: w }), ['weight'], [], ['weight']);
    typed(nn_multi_margin_loss({ weight: w }), ['weight'], [], ['weight']);
    typed(nn_mse_loss(), [], [], []);
    // The weights loaded into the module are the ones its forward uses (math: a class's weight
    // scales its terms; with weight (1, 0, 0) only the first row's class counts).
    const loss = nn_cross_entropy_loss({ weight: torch_ones(3), reduction: 'sum' });
    loss.load_state_dict({ weight: torch_tensor([1, 0, 0]) });
    const input = torch_tensor([[0, 0, 0], [0, 0, 0]]);
    expect(loss(input, torch_tensor([0, 1], { dtype: 'long' })).item('number')).toBeCloseTo(Math.log(3), 6);
    expect(loss.to('float64').state_dict().weight?.dtype).toBe('float64');
  });
});

describe('state_dict keys typed from a module\'s fields', () => {
  it('a class: module fields under their names, nn_parameter() and persistent nn_buffer() fields by name', () => {
    class Net extends nn_Module {
      fc1 = nn_linear(4, 3);
      bn = nn_batch_norm1d(3);
      scale = nn_parameter(torch_ones(1));
      mask = nn_buffer(torch_ones(3));
      scratch = nn_buffer(torch_zeros(3), false);
      steps = 0;
      override forward(x: Tensor): Tensor { return this.bn(this.fc1(x)).mul(this.scale).mul(this.mask); }
    }
    // PyTorch: fc1 = nn.Linear(4, 3); bn = nn.BatchNorm1d(3); scale = nn.Parameter(...);
    // register_buffer('mask', ...); register_buffer('scratch', ..., persistent=False)
    typed(new Net(),
      ['fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked', 'scale', 'mask'],
      ['fc1.weight', 'scale', 'mask'],
      ['scale', 'mask', 'fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
  });

  it('a generator whose initialize returns its fields', () => {
    const Scaled = nn_module({
      initialize(d: number) { return { fc: nn_linear(d, d, { bias: false }), alpha: nn_parameter(torch_ones(1)), factor: 2 }; },
      forward(x: Tensor): Tensor { return this.fc(x).mul(this.alpha).mul(this.factor); },
    });
    typed(Scaled(2), ['fc.weight', 'fc.bias', 'alpha'], ['fc.weight', 'alpha'], ['alpha', 'fc.weight']);
  });

  it('containers: nn_sequential by position, nn_module_dict by key, nn_module_list by any index', () => {
    // nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    typed(nn_sequential(nn_linear(4, 8), nn_relu(), nn_linear(8, 1)), ['0.weight', '0.bias', '2.weight', '2.bias'], ['0.weight', '2.weight'],
      ['0.weight', '0.bias', '2.weight', '2.bias']);
    // nn.ModuleDict({'sentiment': nn.Linear(8, 2), 'topic': nn.Linear(8, 10)})
    const heads = nn_module_dict({ sentiment: nn_linear(8, 2), topic: nn_linear(8, 10) });
    expect(Object.keys(heads.state_dict())).toEqual(['sentiment.weight', 'sentiment.bias', 'topic.weight', 'topic.bias']);
    const topic: Tensor = heads.state_dict()['topic.weight'];
    expect(topic.shape).toEqual([10, 8]);
    // nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)]): its keys are typed as `${number}.weight` and `${number}.bias`
    const list = nn_module_list([nn_linear(2, 2), nn_linear(2, 2)]);
    const state = list.state_dict();
    expect(Object.keys(state)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    const second: Tensor | undefined = state['1.weight'];
    expect(second?.shape).toEqual([2, 2]);
  });
});

// `state` when its type takes any key (Record<string, Tensor>), else a compile error.
const anyKeys = <S extends object>(state: string extends keyof S ? S : never): string[] => Object.keys(state);

describe('state_dict keys not typed where they cannot be known', () => {
  it('a module restructured in place, a class that registers by name and declares it, a plain Tensor field, a private field', () => {
    const peft = lora_apply(nn_sequential(nn_linear(2, 3), nn_relu()), { target_modules: ['0'], r: 1 });
    // PEFT: get_peft_model(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), LoraConfig(target_modules=['0'], r=1)).base_model.model
    expect(anyKeys(peft.state_dict())).toEqual(['0.base_layer.weight', '0.base_layer.bias', '0.lora_A.default.weight', '0.lora_B.default.weight']);
    expect(anyKeys(nn_utils_weight_norm(nn_linear(2, 3)).state_dict())).toEqual(['bias', 'weight_g', 'weight_v']); // torch.nn.utils.weight_norm
    class Masked extends nn_Module {
      declare readonly [nn_state]?: { mask: Tensor };
      constructor() { super(); this.register_buffer('mask', torch_ones(2)); }
      override forward(x: Tensor): Tensor { return x.mul(this.named_buffers().mask!); }
    }
    typed(new Masked(), ['mask'], ['mask'], ['mask']);
    class Cached extends nn_Module {
      fc = nn_linear(2, 2);
      cache: Tensor = torch_zeros(2);
      override forward(x: Tensor): Tensor { return this.fc(x).add(this.cache); }
    }
    expect(anyKeys(new Cached().state_dict())).toEqual(['fc.weight', 'fc.bias']);
    class Hidden extends nn_Module {                     // keyof does not see a private field
      private readonly fc = nn_linear(2, 2);
      override forward(x: Tensor): Tensor { return this.fc(x); }
    }
    expect(anyKeys(new Hidden().state_dict())).toEqual(['fc.weight', 'fc.bias']);
    // @ts-expect-error nn_linear's keys are typed: anyKeys refuses them (checked by the compiler, test/typecheck.test.ts)
    anyKeys(nn_linear(2, 3).state_dict());
  });
});
