// Parity of the LoRA layers with PEFT's math, written out in torch in cases_lora.py (PEFT
// itself is not needed): the forward and the gradients of x, A and B, merge and unmerge, and
// the initial A and B drawn in PEFT's order under the same seed. A and B arrive as inputs and
// are installed as the layer's parameters, so their gradients are the inputs' gradients.
import {
  lora_nn_conv2d, lora_nn_embedding, lora_nn_linear, nn_conv2d, nn_embedding, nn_linear, nn_parameter, torch_manual_seed,
  torch_randn, torch_tensor, with_no_grad, type LoraLayer, type LoraOptions, type nn_Module, type Tensor,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);

/** Copies W (and b) into the frozen base, and makes the inputs A and B the adapter's parameters. */
function install(layer: LoraLayer, base: nn_Module & { weight: Tensor; bias?: Tensor | null }, { W, b, A, B }: Tensors): void {
  with_no_grad(() => {
    base.weight.copy_(W!);
    if (b !== undefined) base.bias!.copy_(b);
  });
  if ('lora_embedding_A' in layer.adapter_state('default')) {
    const embedding = layer as lora_nn_embedding;
    embedding.lora_embedding_A.put('default', nn_parameter(A!));
    embedding.lora_embedding_B.put('default', nn_parameter(B!));
  } else {
    const dense = layer as lora_nn_linear | lora_nn_conv2d;
    dense.lora_A.get('default').weight = nn_parameter(A!);
    dense.lora_B.get('default').weight = nn_parameter(B!);
  }
}

const linearInputs = (batch: number[] = [4]) => (): Tensors => ({ x: randn(...batch, 7), W: randn(6, 7), b: randn(6), A: randn(3, 7), B: randn(6, 3) });
function linearLayer(inputs: Tensors, options: LoraOptions): LoraLayer {
  const base = nn_linear(7, 6);
  const layer = lora_nn_linear(base, { r: 3, alpha: 6, ...options });
  install(layer, base, inputs);
  return layer;
}

const indices = (): Tensor => torch_tensor([[0, 3, 9, 3], [1, 0, 0, 7]], { dtype: 'int64' });
const embeddingInputs = (): Tensors => ({ x: indices(), W: randn(10, 4), A: randn(2, 10), B: randn(4, 2) });
function embeddingLayer(inputs: Tensors, padding_idx: number | null = null): LoraLayer {
  const base = nn_embedding(10, 4, { padding_idx });
  const layer = lora_nn_embedding(base, { r: 2, alpha: 3 });
  install(layer, base, inputs);
  return layer;
}

const convInputs = (kernel: number) => (): Tensors => ({
  x: randn(2, 3, 8, 8), W: randn(5, 3, kernel, kernel), b: randn(5), A: randn(2, 3, kernel, kernel), B: randn(5, 2, 1, 1),
});
function convLayer(inputs: Tensors, kernel: number): LoraLayer {
  const base = nn_conv2d(3, 5, kernel, { stride: 2, padding: 1 });
  const layer = lora_nn_conv2d(base, { r: 2, alpha: 3 });
  install(layer, base, inputs);
  return layer;
}

/** merge, the merged forward, then unmerge: the weights at each stage and ΔW. */
function mergeCase(name: string, inputs: () => Tensors, make: (inputs: Tensors) => LoraLayer): ParityCase {
  return { name, inputs, run: (given) => with_no_grad(() => {
    const layer = make(given);
    const unmerged = layer(given.x!);
    const delta = layer.delta_weight();
    layer.merge();
    const merged_weight = layer.base_layer.weight.clone();
    const merged = layer(given.x!);
    layer.unmerge();
    return { unmerged, delta, merged_weight, merged, unmerged_weight: layer.base_layer.weight.clone() };
  }) };
}

const forward: ParityCase[] = [
  { name: 'lora.linear', inputs: linearInputs(), grad: ['x', 'A', 'B'], run: (i) => ({ y: linearLayer(i, {})(i.x!) }) },
  { name: 'lora.linear.batched', inputs: linearInputs([2, 3]), grad: ['x', 'A', 'B'], run: (i) => ({ y: linearLayer(i, {})(i.x!) }) },
  { name: 'lora.linear.rslora', inputs: linearInputs(), grad: ['x', 'A', 'B'], run: (i) => ({ y: linearLayer(i, { use_rslora: true })(i.x!) }) },
  { name: 'lora.linear.dropout', inputs: linearInputs([8]), grad: ['x', 'A', 'B'], run: (i) => {
    const layer = linearLayer(i, { dropout: 0.3 });
    torch_manual_seed(0); // making the layer drew numbers; the Python twin makes none before its dropout
    return { y: layer(i.x!) };
  } },
  { name: 'lora.embedding', inputs: embeddingInputs, grad: ['A', 'B'], run: (i) => ({ y: embeddingLayer(i)(i.x!) }) },
  { name: 'lora.embedding.padding_idx', inputs: embeddingInputs, grad: ['A', 'B'], run: (i) => ({ y: embeddingLayer(i, 0)(i.x!) }) },
  { name: 'lora.conv2d', inputs: convInputs(3), grad: ['x', 'A', 'B'], run: (i) => ({ y: convLayer(i, 3)(i.x!) }) },
  { name: 'lora.conv2d.1x1', inputs: convInputs(1), grad: ['x', 'A', 'B'], run: (i) => ({ y: convLayer(i, 1)(i.x!) }) },
];

const merging: ParityCase[] = [
  mergeCase('lora.merge.linear', linearInputs(), (i) => linearLayer(i, {})),
  mergeCase('lora.merge.linear.rslora', linearInputs(), (i) => linearLayer(i, { use_rslora: true })),
  mergeCase('lora.merge.embedding', embeddingInputs, (i) => embeddingLayer(i)),
  mergeCase('lora.merge.conv2d', convInputs(3), (i) => convLayer(i, 3)),
  mergeCase('lora.merge.conv2d.1x1', convInputs(1), (i) => convLayer(i, 1)),
];

// ---- initialisation: base layer, then A and B in PEFT's order, from one seed

const state = (layer: LoraLayer): Tensors => ({ W: layer.base_layer.weight, ...Object.fromEntries(Object.entries(layer.adapter_state('default')).map(([k, v]) => [k.replace('.weight', ''), v.detach()])) });
const initialisation: ParityCase[] = [
  { name: 'lora.init.linear', run: () => state(lora_nn_linear(nn_linear(7, 6), { r: 3 })) },
  { name: 'lora.init.linear.gaussian', run: () => state(lora_nn_linear(nn_linear(7, 6), { r: 3, init: 'gaussian' })) },
  { name: 'lora.init.embedding', run: () => state(lora_nn_embedding(nn_embedding(10, 4), { r: 2 })) },
  { name: 'lora.init.conv2d', run: () => state(lora_nn_conv2d(nn_conv2d(3, 5, 3, { stride: 2, padding: 1 }), { r: 2 })) },
];

parity_suite('LoRA parity with PEFT math in PyTorch', [...forward, ...merging, ...initialisation]);
