// Parity of the random generators with Python PyTorch: torch_generator() objects passed as
// `generator` to every function that takes one, and the default generator's state. Each
// case's Python twin is the @case of the same name in cases_random.py.
import {
  dataloader, tensor_dataset, torch_arange, torch_cat, type Tensor, nn_init_kaiming_normal_, nn_init_kaiming_uniform_, nn_init_normal_, nn_init_uniform_, nn_init_xavier_normal_, nn_init_xavier_uniform_,
  torch_bernoulli, torch_empty, torch_normal, torch_full, torch_generator, torch_get_rng_state, torch_manual_seed, torch_multinomial, torch_rand, torch_randint,
  torch_randn, torch_randperm, torch_set_rng_state, torch_tensor, torch_zeros,
} from '../../src/index.js';
import { parity_suite, type ParityCase } from './harness.js';

const cases: ParityCase[] = [
  { name: 'generator.factories', run: () => {
    const g = torch_generator();
    g.set_current_seed(42);
    torch_manual_seed(1);
    // Draws from g leave the default generator where it was, and the other way round.
    return {
      randn: torch_randn(3, 4, { generator: g }), default_after: torch_randn(3),
      rand: torch_rand([17], { generator: g }), randint: torch_randint(0, 10, [6], { generator: g }),
      randperm: torch_randperm(10, { generator: g }), randn_double: torch_randn([2, 9], { dtype: 'float64', generator: g }),
      default_last: torch_randn(2),
    };
  } },
  { name: 'generator.default_seed', run: () => {
    const g = torch_generator();
    return { randn: torch_randn(5, { generator: g }), seed: torch_tensor([Number(g.initial_seed())], { dtype: 'int64' }) };
  } },
  { name: 'generator.sampling', run: () => {
    const g = torch_generator().manual_seed(7);
    const probs = torch_tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.25, 0.25]]);
    return {
      normal_: torch_zeros(20).normal_(1, 2, g), uniform_: torch_empty(6).uniform_({ from: -1, to: 1, generator: g }),
      bernoulli_p: torch_bernoulli(torch_zeros(10), 0.3, g),
      bernoulli_self: torch_bernoulli(torch_full([8], 0.5), { generator: g }),
      multinomial: torch_multinomial(probs, 6, { replacement: true, generator: g }),
    };
  } },
  { name: 'generator.init', needs: { torch: '2.2', why: 'its nn.init functions take no generator' }, run: () => {
    const g = torch_generator(3);
    return {
      kaiming_uniform: nn_init_kaiming_uniform_(torch_empty(4, 5), { a: Math.sqrt(5), generator: g }),
      xavier_normal: nn_init_xavier_normal_(torch_empty(3, 6), 1, g),
      normal: nn_init_normal_(torch_empty(7), 0, 0.02, g),
      uniform: nn_init_uniform_(torch_empty(4), -0.5, 0.5, g),
      kaiming_normal: nn_init_kaiming_normal_(torch_empty(2, 3), { mode: 'fan_out', nonlinearity: 'relu', generator: g }),
      xavier_uniform: nn_init_xavier_uniform_(torch_empty(3, 3), 2, g),
    };
  } },
  { name: 'generator.state', run: () => {
    const g = torch_generator().manual_seed(5);
    torch_randn(4, { generator: g });
    const state = g.get_state();
    const first = torch_randn(6, { generator: g });
    const other = torch_generator();
    other.set_state(state);
    return { state, first, again: torch_randn(6, { generator: other }) };
  } },
  { name: 'rng_state.default', run: () => {
    torch_manual_seed(3);
    torch_rand(2);
    const state = torch_get_rng_state();
    const a = torch_randn(4);
    torch_set_rng_state(state);
    return { state, a, b: torch_randn(4) };
  } },
  { name: 'generator.random_', run: () => {
    const g = torch_generator(9);
    torch_manual_seed(2);
    return {
      to: torch_empty(6).random_(10, undefined, g), from_to: torch_empty([5], { dtype: 'int64' }).random_({ from: -5, to: 5, generator: g }),
      all: torch_empty([4], { dtype: 'int32' }).random_({ generator: g }), default: torch_empty(3).random_(100),
    };
  } },
  { name: 'generator.dataloader', run: () => {
    torch_manual_seed(0);
    const g = torch_generator(5);
    const loader = dataloader(tensor_dataset(torch_arange(0, 10)), { batch_size: 3, shuffle: true, generator: g });
    const epoch = (from = loader): Tensor => torch_cat([...from].map((batch) => (batch as Tensor[])[0]!));
    // Sizes that batch_size divides, and drop_last: where Python's sampler draws its last randperm.
    const exact = dataloader(tensor_dataset(torch_arange(0, 9)), { batch_size: 3, shuffle: true, generator: g });
    const dropped = dataloader(tensor_dataset(torch_arange(0, 8)), { batch_size: 3, shuffle: true, drop_last: true, generator: g });
    return { epoch0: epoch(), epoch1: epoch(), epoch2: epoch(exact), epoch3: epoch(dropped), epoch4: epoch(exact), default_after: torch_randn(2) };
  } },
  { name: 'generator.normal', run: () => {
    const g = torch_generator(13);
    const means = torch_arange(0, 4, 1, { dtype: 'float32' });
    const stds = torch_tensor([0.5, 1, 2, 0.1]);
    torch_manual_seed(6);
    return {
      numbers: torch_normal(2, 3, [2, 5], { generator: g }), tensors: torch_normal(means, stds, undefined, { generator: g }),
      tensor_mean: torch_normal(means, 0.5, undefined, { generator: g }), tensor_std: torch_normal(1, stds, undefined, { generator: g }),
      double: torch_normal(0, 1, [3], { dtype: 'float64', generator: g }), default: torch_normal(0, 1, 17),
    };
  } },
];

parity_suite('random generators: parity with PyTorch', cases);
