// The public API: R torch's names over libtorch.
export { TorchError } from './errors.js';
export * from './dtype.js';
export { Tensor, Slice, slice, type IndexItem, type NestedArray, type TensorOrScalar, type ToOptions, type BackwardOptions } from './tensor.js';
export * from './creation.js';
export * from './ops.js';
export * from './autograd.js';
export { torch_scope, torch_keep } from './scope.js';
export * from './memory.js';
export * from './config.js';
