// LoRA on a whole model: lora_apply's targets (names, suffixes, RegExp, "all-linear",
// patterns), freezing and counts, several named adapters on one base (switching, per-call
// choice, disabling, deleting) and merge_and_unload / lora_unload.
import { describe, expect, it } from 'vitest';
import {
  LoraLayer, lora_active_adapter, lora_adapters, lora_apply, lora_delete_adapter, lora_layers, lora_merge, lora_parameter_counts,
  lora_parameters, lora_set_adapter, lora_unload, lora_unmerge, merge_and_unload, nn_linear, nn_relu, nn_sequential,
  torch_manual_seed, torch_matmul, torch_randint, torch_randn, with_adapter, with_adapters_disabled, with_no_grad, type LinearBase, type Tensor,
} from '../src/index.js';
import { TinyNet } from './fixtures/tiny_net.js';

function inputs(): [Tensor, Tensor] {
  return [torch_randint(0, 16, [2, 5]), torch_randn(2, 3, 7, 7)];
}

function randomiseAdapter(model: TinyNet, adapter: string): void {
  with_no_grad(() => { for (const p of lora_parameters(model, { adapter })) p.normal_(0, 0.5); });
}

const paths = (model: TinyNet): string[] => lora_layers(model).map(([path]) => path).sort();
/** The LoRA layer at `path` (TinyNet's field types are the plain layers'). */
const layerAt = (model: TinyNet, path: string): LoraLayer<LinearBase> => Object.fromEntries(lora_layers(model))[path]! as LoraLayer<LinearBase>;

describe('lora_apply targets', () => {
  it('wraps layers named exactly or by their last dotted parts, in place', () => {
    const model = new TinyNet();
    const q0 = model.blocks.children[0]!;
    const result = lora_apply(model, { target_modules: ['q_proj', 'blocks.1.v_proj', 'head'], r: 2 });
    expect(result).toBe(model);
    expect(paths(model)).toEqual(['blocks.0.q_proj', 'blocks.1.q_proj', 'blocks.1.v_proj', 'head']);
    expect(model.blocks.children[0]).toBe(q0); // the block itself stays, its child is wrapped
    expect(Object.keys(model.named_parameters())).toContain('blocks.0.q_proj.lora_A.default.weight');
  });

  it('keeps a sequential in order when its children are wrapped', () => {
    torch_manual_seed(1);
    const model = nn_sequential(nn_linear(4, 6), nn_relu(), nn_linear(6, 2));
    const x = torch_randn(3, 4);
    const before = model(x);
    lora_apply(model, { target_modules: 'all-linear', r: 2 });
    expect(model.children[0]).toBeInstanceOf(LoraLayer);
    expect(model.children[1]).not.toBeInstanceOf(LoraLayer);
    expect(model(x).equal(before)).toBe(true); // B = 0: same function, same order
  });

  it('takes a RegExp (tested against the dotted path) and "all-linear"', () => {
    const model = lora_apply(new TinyNet(), { target_modules: /^blocks\.\d\.(q|v)_proj$/, r: 2 });
    expect(paths(model)).toEqual(['blocks.0.q_proj', 'blocks.0.v_proj', 'blocks.1.q_proj', 'blocks.1.v_proj']);
    const all = lora_apply(new TinyNet(), { target_modules: 'all-linear', r: 2 });
    expect(paths(all)).toEqual([
      'blocks.0.out_proj', 'blocks.0.q_proj', 'blocks.0.v_proj', 'blocks.1.out_proj', 'blocks.1.q_proj', 'blocks.1.v_proj', 'head',
    ]);
    const other = lora_apply(new TinyNet(), { target_modules: ['embed', 'conv'], r: 2 });
    expect(paths(other)).toEqual(['conv', 'embed']);
  });

  it('gives per-layer ranks and alphas from rank_pattern and alpha_pattern (PEFT: first key matching the path end)', () => {
    const model = lora_apply(new TinyNet(), {
      target_modules: ['q_proj', 'v_proj'], r: 2, alpha: 4, rank_pattern: { 'blocks\\.1\\.q_proj': 4 }, alpha_pattern: { v_proj: 1 },
    });
    const layers = Object.fromEntries(lora_layers(model));
    expect(layers['blocks.1.q_proj']!.r.default).toBe(4);
    expect(layers['blocks.0.q_proj']!.r.default).toBe(2);
    expect(layers['blocks.0.v_proj']!.lora_alpha.default).toBe(1);
    expect(layers['blocks.1.q_proj']!.scaling.default).toBe(1);
  });

  it('freezes everything but the adapter and counts trainable parameters', () => {
    const model = new TinyNet();
    const { total: before } = lora_parameter_counts(model);
    lora_apply(model, { target_modules: ['q_proj'], r: 2 });
    const adapter = 2 * (2 * 8 + 8 * 2); // two layers, A 2x8 and B 8x2
    expect(lora_parameter_counts(model)).toEqual({ trainable: adapter, total: before + adapter });
    const trainable = Object.entries(model.named_parameters()).filter(([, p]) => p.requires_grad).map(([name]) => name).sort();
    expect(trainable).toEqual(['blocks.0.q_proj.lora_A.default.weight', 'blocks.0.q_proj.lora_B.default.weight',
      'blocks.1.q_proj.lora_A.default.weight', 'blocks.1.q_proj.lora_B.default.weight']);
    expect(lora_parameters(model).length).toBe(4);
    const [tokens, images] = inputs();
    model(tokens, images).sum().backward();
    expect(model.head.weight.grad).toBeUndefined();
  });
});

describe('lora_apply refusals change nothing', () => {
  const flags = (model: TinyNet): boolean[] => model.parameters.map((p) => p.requires_grad);
  const cases: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
    ['no match', { target_modules: ['k_proj'] }, RangeError, /Expected target_modules matching at least one layer \(the model has "embed", "blocks", "blocks.0", .*\) for target_modules but received \["k_proj"\]/],
    ['an unsupported layer', { target_modules: ['blocks'] }, TypeError, /Expected a layer LoRA supports \(nn_linear, hf_conv1d, nn_embedding, nn_conv2d\) at "blocks"/],
    ['a rank above one layer', { target_modules: ['q_proj', 'head'], r: 4 }, RangeError, /Expected a rank of at most 3 \(min\(in, out\) of "head"\) for r but received 4/],
    ['a bad target type', { target_modules: 'q_proj' }, TypeError, /Expected a non-empty array of module names, a RegExp or "all-linear" for target_modules but received "q_proj"/],
    ['a bad alpha', { target_modules: ['q_proj'], alpha: Infinity }, RangeError, /for alpha but received Infinity/],
    ['an unknown option', { target_modules: ['q_proj'], lora_dropot: 0.1 }, TypeError, /Expected one of target_modules, .*, lora_dropout, .* for lora_apply options but received "lora_dropot"/],
    ['a pattern rank above its layer', { target_modules: ['q_proj', 'head'], rank_pattern: { head: 4 } }, RangeError, /Expected a rank of at most 3 \(min\(in, out\) of "head"\) for r but received 4/],
    ['a fractional pattern rank', { target_modules: ['q_proj'], rank_pattern: { 'blocks\\.1\\.q_proj': 1.5 } }, TypeError, /Expected an integer for r but received 1.5/],
    ['an infinite pattern alpha', { target_modules: ['q_proj'], alpha_pattern: { q_proj: Infinity } }, RangeError, /Expected a finite number for alpha but received Infinity/],
    ['a pattern value that is not a number', { target_modules: ['q_proj'], rank_pattern: { q_proj: '2' } }, TypeError, /Expected a number for rank_pattern\["q_proj"\] but received "2"/],
    ['a pattern key that is not a regular expression', { target_modules: ['q_proj'], alpha_pattern: { '(': 1 } }, TypeError, /Expected a valid regular expression as key for alpha_pattern but received "\("/],
  ];
  for (const [title, options, type, message] of cases) {
    it(title, () => {
      const model = new TinyNet();
      const before = flags(model);
      expect(() => lora_apply(model, { r: 2, ...options } as never)).toThrow(type);
      expect(() => lora_apply(model, { r: 2, ...options } as never)).toThrow(message);
      expect(lora_layers(model)).toEqual([]);
      expect(flags(model)).toEqual(before);
    });
  }

  it('a pattern key that matches no target is not used, so its value is not checked', () => {
    const rank_pattern = { k_proj: 0 };
    const model = lora_apply(new TinyNet(), { target_modules: ['q_proj'], r: 2, rank_pattern });
    expect(lora_layers(model).map(([, layer]) => layer.r.default)).toEqual([2, 2]);
    expect(Object.isFrozen(rank_pattern)).toBe(false); // the caller's object is read, not frozen
  });

  it('an adapter name the model has', () => {
    const model = lora_apply(new TinyNet(), { target_modules: ['q_proj'], r: 2 });
    expect(() => lora_apply(model, { target_modules: ['q_proj'], r: 2 })).toThrow(/already has it; lora_delete_adapter\(\) first/);
    expect(lora_adapters(model)).toEqual(['default']);
  });
});

describe('named adapters on one base', () => {
  function twoAdapters(): { model: TinyNet; base: Tensor } {
    torch_manual_seed(2);
    const model = new TinyNet();
    lora_apply(model, { target_modules: ['q_proj', 'head'], r: 2, adapter: 'a' });
    lora_apply(model, { target_modules: ['head'], r: 3, alpha: 2, adapter: 'b' });
    randomiseAdapter(model, 'a');
    randomiseAdapter(model, 'b');
    return { model, base: layerAt(model, 'head').base_layer.weight };
  }

  it('adds a later adapter inactive and frozen; set_adapter switches what trains', () => {
    const { model } = twoAdapters();
    expect(lora_adapters(model)).toEqual(['a', 'b']);
    expect(lora_active_adapter(model)).toBe('a');
    expect(lora_parameters(model, { adapter: 'b' }).every((p) => !p.requires_grad)).toBe(true);
    lora_set_adapter(model, 'b');
    expect(lora_active_adapter(model)).toBe('b');
    expect(lora_parameters(model, { adapter: 'b' }).every((p) => p.requires_grad)).toBe(true);
    expect(lora_parameters(model, { adapter: 'a' }).every((p) => !p.requires_grad)).toBe(true);
    expect(lora_parameter_counts(model).trainable).toBe(3 * 8 + 3 * 3);
  });

  it('gives each adapter its own output, per call, without copying the base', () => {
    const { model, base } = twoAdapters();
    const head = layerAt(model, 'head');
    const baseWeight = base.clone();
    const h = torch_randn(4, 8);
    const plain = torch_matmul(h, baseWeight.t()).add(head.base_layer.bias!);
    const term = (adapter: string): Tensor => {
      const { 'lora_A.weight': A, 'lora_B.weight': B } = head.adapter_state(adapter);
      return torch_matmul(torch_matmul(h, A!.t()), B!.t()).mul(head.scaling[adapter]!);
    };
    const ya = with_adapter(model, 'a', () => head(h));
    const yb = with_adapter(model, 'b', () => head(h));
    expect(ya.allclose(plain.add(term('a')), 1e-5, 1e-6)).toBe(true);
    expect(yb.allclose(plain.add(term('b')), 1e-5, 1e-6)).toBe(true);
    expect(ya.allclose(yb, 1e-3, 1e-3)).toBe(false);
    expect(with_adapters_disabled(model, () => head(h)).allclose(plain, 1e-6, 1e-6)).toBe(true);
    expect(lora_active_adapter(model)).toBe('a'); // restored
    expect(head.base_layer.weight).toBe(base); // the same tensor throughout
    expect(base.equal(baseWeight)).toBe(true);
    // Adapter b targets only head: with it, q_proj layers add nothing.
    const [tokens, images] = inputs();
    const q = model.blocks.children[0]!.named_children().q_proj as LoraLayer;
    const x = torch_randn(2, 8);
    expect(with_adapter(model, 'b', () => q(x)).equal(with_adapters_disabled(model, () => q(x)))).toBe(true);
    expect(with_adapter(model, 'b', () => model(tokens, images)).shape).toEqual([2, 7]);
  });

  it('switches back when fn throws, and refuses an async fn', () => {
    const { model } = twoAdapters();
    expect(() => with_adapter(model, 'b', () => { throw new Error('boom'); })).toThrow('boom');
    expect(lora_active_adapter(model)).toBe('a');
    expect(() => with_adapter(model, 'b', async () => 1)).toThrow(/Expected a synchronous function for fn/);
    expect(lora_active_adapter(model)).toBe('a');
    expect(() => with_adapter(model, 'c', () => 1)).toThrow(/Expected one of the model's adapters \("a", "b"\) for name but received "c"/);
  });

  it('deletes an adapter; the last one gone leaves plain layers', () => {
    const { model } = twoAdapters();
    lora_delete_adapter(model, 'a');
    expect(lora_adapters(model)).toEqual(['b']);
    expect(lora_active_adapter(model)).toBe('b');
    expect(paths(model)).toEqual(['head']); // the q_proj layers had only a
    expect(model.blocks.children[0]!.named_children().q_proj).not.toBeInstanceOf(LoraLayer);
    lora_delete_adapter(model, 'b');
    expect(lora_layers(model)).toEqual([]);
    expect(model.head).not.toBeInstanceOf(LoraLayer);
  });

  it('adds an adapter to a model with another merged, changing nothing merged', () => {
    const { model } = twoAdapters();
    lora_merge(model, { adapter: 'b' }); // 'a' stays the active one
    const head = layerAt(model, 'head');
    const merged = head.base_layer.weight.clone();
    lora_apply(model, { target_modules: ['head', 'v_proj'], r: 1, adapter: 'c' });
    expect(lora_adapters(model).sort()).toEqual(['a', 'b', 'c']);
    expect(head.merged_adapters).toEqual(['b']);
    expect(head.base_layer.weight.equal(merged)).toBe(true);
  });

  it('merges a chosen adapter, and refuses switching until unmerged', () => {
    const { model } = twoAdapters();
    const h = torch_randn(4, 8);
    const head = layerAt(model, 'head');
    const yb = with_adapter(model, 'b', () => head(h));
    lora_merge(model, { adapter: 'b' });
    expect(head.merged_adapters).toEqual(['b']);
    expect(head.base_layer(h).allclose(yb, 1e-5, 1e-5)).toBe(true);
    expect(() => lora_set_adapter(model, 'a')).toThrow(/Expected the merged adapter "b" \("head" has it merged; unmerge first\) for adapter but received "a"/);
    expect(() => with_adapters_disabled(model, () => 1)).toThrow(/unmerge first/);
    expect(() => lora_delete_adapter(model, 'b')).toThrow(/lora_unmerge\(\) first/);
    lora_unmerge(model);
    lora_set_adapter(model, 'a');
  });

  it('safe merge of a model checks every layer before merging any', () => {
    const { model } = twoAdapters();
    const q1 = model.blocks.children[1]!.named_children().q_proj as LoraLayer;
    with_no_grad(() => q1.adapter_state('a')['lora_B.weight']!.index_put_([0, 0], Infinity));
    const weights = lora_layers(model).map(([, layer]) => layer.base_layer.weight.clone());
    expect(() => lora_merge(model, { safe: true })).toThrow(/Expected a finite merged weight for adapter "a" of "blocks.1.q_proj"/);
    lora_layers(model).forEach(([, layer], i) => expect(layer.base_layer.weight.equal(weights[i]!)).toBe(true));
    expect(lora_layers(model).some(([, layer]) => layer.merged)).toBe(false);
  });
});

describe('merge_and_unload and lora_unload', () => {
  it('returns the plain model computing what the adapter computed', () => {
    torch_manual_seed(3);
    const model = new TinyNet();
    const names = Object.keys(model.named_parameters()).sort();
    lora_apply(model, { target_modules: ['q_proj', 'v_proj', 'embed', 'conv', 'head'], r: 2 });
    randomiseAdapter(model, 'default');
    const [tokens, images] = inputs();
    const adapted = model(tokens, images);
    const plain = merge_and_unload(model);
    expect(plain).toBe(model);
    expect(lora_layers(model)).toEqual([]);
    expect(Object.keys(model.named_parameters()).sort()).toEqual(names);
    expect(model(tokens, images).allclose(adapted, 1e-5, 1e-5)).toBe(true);
  });

  it('lora_unload gives back the weights as they were', () => {
    torch_manual_seed(4);
    const model = new TinyNet();
    const before = model.state_dict();
    const copies = Object.fromEntries(Object.entries(before).map(([k, v]) => [k, v.clone()]));
    lora_apply(model, { target_modules: 'all-linear', r: 2 });
    randomiseAdapter(model, 'default');
    lora_merge(model);
    lora_unload(model);
    for (const [key, value] of Object.entries(model.state_dict())) expect(value.allclose(copies[key]!, 1e-6, 1e-6)).toBe(true);
  });

  it('on a single LoRA layer returns its base layer', () => {
    const base = nn_linear(4, 4);
    const layer = lora_apply(nn_sequential(base), { target_modules: 'all-linear', r: 1 }).children[0] as LoraLayer;
    expect(merge_and_unload(layer)).toBe(base);
  });
});
