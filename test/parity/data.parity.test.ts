// Parity of the dataloader with PyTorch's DataLoader (1.13's and 2.13's alike): after the same manual_seed, the
// same shuffled order epoch after epoch, the same batches (drop_last or not), the same
// default collation, and the default generator left in the same state (a randn drawn after
// the epochs is equal). Twins: cases_data.py.
import {
  dataloader, dataset, dataset_subset, iterable_dataset, tensor_dataset, torch_manual_seed, torch_randn, torch_tensor, type DataLoader, type Tensor,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

/** Every batch of `epochs` epochs under `batch/<epoch>/<index>/<part>`, then a randn. */
function epochsOf(loader: DataLoader<unknown>, epochs: number): Tensors {
  const result: Tensors = { length: torch_tensor(loader.length, { dtype: 'int64' }) };
  for (let epoch = 0; epoch < epochs; epoch++) {
    let index = 0;
    for (const batch of loader) flatten(batch, `batch/${epoch}/${index++}`, result);
  }
  result.after = torch_randn(3);
  return result;
}

function flatten(value: unknown, key: string, into: Tensors): void {
  if (Array.isArray(value)) value.forEach((part, i) => flatten(part, `${key}/${i}`, into));
  else if (value !== null && typeof value === 'object' && !('dtype' in value)) {
    for (const [name, part] of Object.entries(value)) flatten(part, `${key}/${name}`, into);
  } else into[key] = value as Tensor;
}

const inputs = (): Tensors => ({ x: torch_randn(11, 3), y: torch_randn(11) });

const records = dataset('records', {
  initialize(x: Tensor) { this.x = x; },
  '.getitem'(i: number) {
    const row = (this.x as Tensor).index(i);
    return { x: row, label: i % 3, weight: 0.5 * i + 0.25, flag: i % 2 === 0, pair: [row.sum(), i] };
  },
  '.length'() { return (this.x as Tensor).shape[0]!; },
});

// PyTorch's IterableDataset of the rows of x with their index (an int, collated to int64).
const rows = iterable_dataset('rows', {
  initialize(x: Tensor) { this.x = x; },
  *'.iter'() { for (let i = 0; i < (this.x as Tensor).shape[0]!; i++) yield { x: (this.x as Tensor).index(i), i }; },
});

const cases: ParityCase[] = [
  // torch.utils.data.Subset (indices 0-based), shuffled after the same seed.
  { name: 'dataloader.subset', inputs, run: ({ x, y }) => {
    torch_manual_seed(11);
    return epochsOf(dataloader(dataset_subset(tensor_dataset(x!, y!), [9, 2, 4, 0, 7, 5, 1]), { batch_size: 3, shuffle: true }), 2);
  } },
  { name: 'dataloader.iterable', inputs, run: ({ x }) => {
    const loader = dataloader(rows(x!), { batch_size: 4 });
    const result: Tensors = {};
    for (let epoch = 0; epoch < 2; epoch++) {
      let index = 0;
      for (const batch of loader) flatten(batch, `batch/${epoch}/${index++}`, result);
    }
    result.after = torch_randn(3);
    return result;
  } },
  // R's and PyTorch's positional batch_size and shuffle.
  { name: 'dataloader.positional', inputs, run: ({ x, y }) => {
    torch_manual_seed(5);
    return epochsOf(dataloader(tensor_dataset(x!, y!), 4, true), 2);
  } },
  { name: 'dataloader.shuffle', inputs, run: ({ x, y }) => {
    torch_manual_seed(7);
    return epochsOf(dataloader(tensor_dataset(x!, y!), { batch_size: 4, shuffle: true }), 3);
  } },
  { name: 'dataloader.shuffle.drop_last', inputs, run: ({ x, y }) => {
    torch_manual_seed(123);
    return epochsOf(dataloader(tensor_dataset(x!, y!), { batch_size: 3, shuffle: true, drop_last: true }), 2);
  } },
  { name: 'dataloader.in_order', inputs, run: ({ x, y }) => epochsOf(dataloader(tensor_dataset(x!, y!), { batch_size: 5 }), 2) },
  { name: 'dataloader.default_collate', inputs, run: ({ x }) => {
    torch_manual_seed(3);
    return epochsOf(dataloader(records(x!), { batch_size: 4, shuffle: true }), 1);
  } },
];

parity_suite('dataloader parity with PyTorch', cases);
