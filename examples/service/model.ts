// The service's base model: a two-layer MLP, its weights made once from a seed and kept in the
// data folder (base.safetensors), so every restart serves the same base. Adapters are LoRAs of
// both layers. Shared by the server (examples/service.ts) and its training job (train-job.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  nn_linear, nn_relu, nn_sequential, torch_load_safetensors, torch_manual_seed, torch_save_safetensors, type nn_Module,
} from '../../src/index.js';

export interface BaseConfig {
  in_features: number;
  hidden: number;
  out_features: number;
}

/** Every LoRA of the service targets these layers. */
export const TARGETS = ['0', '2'];

/** The base's layers; on device 'meta' they hold no memory, for weights assigned afterwards. */
export function make_base(config: BaseConfig, device = 'cpu'): nn_Module {
  return nn_sequential(nn_linear(config.in_features, config.hidden, { device }), nn_relu(), nn_linear(config.hidden, config.out_features, { device }));
}

/** The base of `dir`: loaded from base.safetensors, or made from seed 0 and saved there first. */
export function load_base(dir: string, config: BaseConfig): nn_Module {
  const file = join(dir, 'base.safetensors');
  torch_manual_seed(0);
  const model = make_base(config);
  if (existsSync(file)) model.load_state_dict(torch_load_safetensors(file).tensors);
  else torch_save_safetensors(model.state_dict(), file);
  return model;
}
