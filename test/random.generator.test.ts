// torch_generator() objects and the default generator's state: seeds, states and refusals.
// Their numbers against Python's: test/parity/random.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  aten, dataloader, nn_init_normal_, tensor_dataset, torch_arange, torch_complex, torch_memory_stats, torch_normal, torch_ones, torch_bernoulli, torch_generator, torch_Generator, torch_get_rng_state, torch_manual_seed, torch_randn, torch_randperm,
  torch_set_rng_state, torch_zeros, TorchError, type Tensor,
} from '../src/index.js';

describe('torch_generator', () => {
  it('starts from PyTorch\'s default seed and keeps the seed it is given, up to 2^64 - 1', () => {
    // torch.Generator().initial_seed() is 67280421310721 (c10's default_rng_seed_val).
    expect(torch_generator().current_seed()).toBe(67280421310721n);
    const g = torch_generator();
    g.set_current_seed(123);
    expect(g.current_seed()).toBe(123n);
    expect(g.manual_seed(2n ** 64n - 1n)).toBe(g);
    expect(g.initial_seed()).toBe(2n ** 64n - 1n);
    expect(torch_generator(5).current_seed()).toBe(5n);
    expect(String(torch_generator(9))).toBe('<torch_generator> (current seed: 9)');
    expect(g).toBeInstanceOf(torch_Generator);
  });

  it('draws the same numbers again after the same seed, and leaves the default generator alone', () => {
    torch_manual_seed(11);
    const expected = torch_randn(4).to_array();
    torch_manual_seed(11);
    const g = torch_generator(1);
    const first = torch_randn(5, { generator: g }).to_array();
    expect(torch_randn(4).to_array()).toEqual(expected);
    g.set_current_seed(1);
    expect(torch_randn(5, { generator: g }).to_array()).toEqual(first);
  });

  it('restores a state, its own or the default generator\'s', () => {
    const g = torch_generator(3);
    const state = g.get_state();
    expect(state.dtype).toBe('uint8');
    const a = torch_randperm(20, { generator: g }).to_array();
    g.set_state(state);
    expect(torch_randperm(20, { generator: g }).to_array()).toEqual(a);
    const saved = torch_get_rng_state();
    const b = torch_randn(3).to_array();
    torch_set_rng_state(saved);
    expect(torch_randn(3).to_array()).toEqual(b);
  });

  it('goes to aten() as a Generator argument, by name or last in place', () => {
    const ours = torch_randn(3, { generator: torch_generator(4) }).to_array();
    expect((aten('randn', 'generator')([3], { generator: torch_generator(4) }) as Tensor).to_array()).toEqual(ours);
    const p = torch_zeros(6).add(0.5);
    expect((aten('bernoulli')(p, torch_generator(8)) as Tensor).to_array()).toEqual(torch_bernoulli(p, { generator: torch_generator(8) }).to_array());
    expect(() => aten('bernoulli')(p, { generator: 'g' })).toThrow(/torch_generator/);
  });

  it('leaves no tensor behind: states, a shuffled epoch with a generator, complex values read and printed', () => {
    const g = torch_generator(1);
    const loader = dataloader(tensor_dataset(torch_arange(0, 10)), { batch_size: 4, shuffle: true, generator: g });
    const z = torch_complex(torch_ones(3), torch_zeros(3)).conj();
    const plain = dataloader(tensor_dataset(torch_arange(0, 10)), { batch_size: 4 });
    const epoch = (from: typeof loader): number => {
      const start = torch_memory_stats().tensors;
      for (const batch of from) for (const tensor of batch as Tensor[]) tensor.dispose();
      return torch_memory_stats().tensors - start;
    };
    // An epoch whose batches are disposed leaves nothing: not the generator's draws, not the rows gathered.
    expect(epoch(loader)).toBe(0);
    expect(epoch(plain)).toBe(0);
    const before = torch_memory_stats().tensors;
    const state = g.get_state();
    g.set_state(state);
    state.dispose();
    z.to_array();
    z.to_typed_array();
    String(z);
    expect(torch_memory_stats().tensors - before).toBe(0);
  });

  it('refuses bad seeds, states and generators by name', () => {
    const g = torch_generator();
    expect(() => g.set_current_seed(-1)).toThrow(RangeError);
    expect(() => g.set_current_seed(2n ** 64n)).toThrow(RangeError);
    expect(() => g.set_current_seed(1.5)).toThrow(TypeError);
    expect(() => torch_generator('1' as never)).toThrow(TypeError);
    expect(() => g.set_state(torch_zeros(3))).toThrow(/uint8/);
    expect(() => g.set_state(torch_zeros([3], { dtype: 'uint8' }))).toThrow(TorchError);
    expect(() => torch_set_rng_state(torch_zeros(2) as never)).toThrow(TypeError);
    expect(() => torch_randn(2, { generator: {} as never })).toThrow(/torch_generator/);
    expect(() => torch_bernoulli(torch_zeros(2), { p: 0.5, generator: 1 as never })).toThrow(TypeError);
    expect(() => nn_init_normal_(torch_zeros(2), 0, 1, 'g' as never)).toThrow(TypeError);
    expect(() => torch_zeros(2, { generator: g } as never)).toThrow(/generator/);
    expect(() => torch_normal(0, 1)).toThrow(/size/);
    expect(() => torch_normal(0, -1, [2])).toThrow(RangeError);
    expect(() => torch_normal(torch_zeros(2), 1, [2])).toThrow(/no size/);
    expect(() => torch_normal(torch_zeros(2), 1, undefined, { dtype: 'float64' })).toThrow(TypeError);
    expect(() => torch_zeros(2).random_(5, 5)).toThrow(RangeError);
  });
});
