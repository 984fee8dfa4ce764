// The GPT example against its Python twin (bench/gpt.py): the same seed, data split, model,
// AdamW groups, warm-up + cosine schedule, gradient clipping, shuffled batches and dropout give
// the same first losses, bit for bit on the same libtorch.
import { torch_manual_seed, torch_randperm, torch_tensor } from '../../src/index.js';
import { encodeNames, readNames, Vocabulary } from '../../examples/gpt/data.js';
import { Gpt } from '../../examples/gpt/model.js';
import { train } from '../../examples/gpt/train.js';
import { parity_suite } from './harness.js';

const CONFIG = { block_size: 16, n_layer: 2, n_head: 4, n_embd: 64, dropout: 0.1 };
const SETTINGS = { steps: 6, batch_size: 64, lr: 3e-3, weight_decay: 0.1, warmup: 20, clip: 1.0 };

parity_suite('GPT example parity with PyTorch', [{
  name: 'gpt.first_steps', run: () => {
    torch_manual_seed(1);
    const female = readNames('female');
    const vocabulary = new Vocabulary([...female, ...readNames('male')]);
    const { x, y } = encodeNames(female, vocabulary, CONFIG.block_size);
    const rows = torch_randperm(female.length).index(`0:${Math.floor(female.length * 0.9)}`);
    const model = new Gpt({ ...CONFIG, vocab_size: vocabulary.size });
    const { losses } = train(model, x.index(rows), y.index(rows), SETTINGS);
    return { losses: torch_tensor(new Float64Array(losses)) };
  },
}]);
