// Builds a module from a model folder (config.json + model.safetensors) for the architecture
// tests, until the shared hf_load (src/hf/load.ts) lands: then this file becomes one call to it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch_load_safetensors, type nn_Module, type Tensor } from '../../src/index.js';
import { makerFor } from '../../src/hf/registry.js';

/** The class config.json names (or `className`), with the folder's weights, in eval mode. */
export function load_checkpoint<M extends nn_Module = nn_Module>(dir: string, className?: string): M {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const model = makerFor(config, className).make(config);
  const { tensors } = torch_load_safetensors(join(dir, 'model.safetensors'));
  const weights = new Map(Object.entries(tensors as Record<string, Tensor>));
  // save_pretrained writes a tied parameter once, under the name it is tied to.
  const tied = (model as { tied_weights_keys?: Record<string, string> }).tied_weights_keys ?? {};
  for (const [name, source] of Object.entries(tied)) if (!weights.has(name) && weights.has(source)) weights.set(name, weights.get(source)!);
  model.load_state_dict(weights);
  return model.eval() as M;
}
