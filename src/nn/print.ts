// How a module prints, in R torch's form: its parameter count, then its submodules,
// parameters and buffers.
import type { Tensor } from '../ops/tensor.js';
import type { DType } from '../core/dtype.js';
import type { nn_Module } from './module.js';
import { classnameOf, registered, registryOf } from './registry.js';

// nn_Module's toString().
export function describeModule(root: nn_Module): string {
  const count = (module: nn_Module): number => module.parameters.reduce((total, p) => total + p.numel(), 0);
  const lines = [`An \`nn_module\` containing ${count(root).toLocaleString('en-US')} parameters.`];
  const section = (title: string, items: string[]): void => {
    if (items.length === 0) return;
    lines.push('', `── ${title} ${'─'.repeat(Math.max(3, 60 - title.length))}`, ...items);
  };
  const registry = registryOf(root);
  section('Modules', registered<nn_Module>(root, registry.modules).map(([name, module]) =>
    `• ${name}: <${classnameOf(module)}> #${count(module).toLocaleString('en-US')} parameters`));
  section('Parameters', registered<Tensor>(root, registry.parameters).map(([name, tensor]) => `• ${name}: ${describeTensor(tensor)}`));
  section('Buffers', registered<Tensor>(root, registry.buffers).map(([name, tensor]) => `• ${name}: ${describeTensor(tensor)}`));
  return lines.join('\n');
}

const R_TYPE_NAMES: Partial<Record<DType, string>> = {
  float32: 'Float', float64: 'Double', float16: 'Half', bfloat16: 'BFloat16', int64: 'Long', int32: 'Int',
  int16: 'Short', int8: 'Char', uint8: 'Byte', bool: 'Bool', complex64: 'ComplexFloat', complex128: 'ComplexDouble',
};

// R torch's short form: `Float [1:1001, 1:1]`.
function describeTensor(tensor: Tensor): string {
  if (tensor.is_disposed) return '[ disposed ]';
  return `${R_TYPE_NAMES[tensor.dtype] ?? tensor.dtype} [${tensor.shape.map((size) => `1:${size}`).join(', ')}]`;
}

