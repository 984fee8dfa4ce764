// Which transformers classes torchlora builds: config.json's `model_type` names an
// architecture, its `architectures` list the class (a bare model, a language-model head, a
// classifier); each architecture file registers its makers here.
import { failRange } from '../core/validate.js';
import type { nn_Module } from '../nn/module.js';
import type { FactoryOptions } from '../nn/options.js';
import type { HfConfig } from './config.js';

/**
 * Makes a module from a checked config, its parameters made with `options` (hf_load asks for
 * device "meta": shapes only, the weights come from the files).
 */
export type HfMaker = (config: HfConfig, options?: FactoryOptions) => nn_Module;

/** One architecture: config.json's `model_type`, and a maker per transformers class name. */
export interface HfArchitecture {
  readonly model_type: string;
  readonly classes: Readonly<Record<string, HfMaker>>;
  /**
   * Names in checkpoint files that hf_load skips (transformers' `_keys_to_ignore_on_load_unexpected`):
   * buffers older files hold and transformers no longer loads, such as Llama's rotary_emb.inv_freq.
   */
  readonly ignored_keys?: readonly RegExp[];
}

const ARCHITECTURES = new Map<string, HfArchitecture>();

/** @internal Registers an architecture (each architecture's file does, once). */
export function registerArchitecture(architecture: HfArchitecture): void {
  ARCHITECTURES.set(architecture.model_type, Object.freeze({ ...architecture, classes: Object.freeze({ ...architecture.classes }) }));
}

/**
 * @internal The maker for `config`: its `model_type`'s architecture and the class its
 * `architectures` names (`className` overrides it), refused with the supported names otherwise.
 */
export function makerFor(config: HfConfig, className?: string): { className: string; make: HfMaker; ignored_keys: readonly RegExp[] } {
  const type = config.model_type;
  const architecture = typeof type === 'string' ? ARCHITECTURES.get(type) : undefined;
  if (architecture === undefined) {
    failRange(`a model_type torchlora implements (${[...ARCHITECTURES.keys()].sort().join(', ')})`, "config.json's model_type", type);
  }
  const named = Array.isArray(config.architectures) ? config.architectures[0] : undefined;
  const wanted = className ?? named ?? Object.keys(architecture.classes)[0];
  const make = typeof wanted === 'string' ? architecture.classes[wanted] : undefined;
  if (make === undefined) {
    failRange(`a ${type} class torchlora implements (${Object.keys(architecture.classes).join(', ')})`, 'class', wanted);
  }
  return { className: wanted as string, make, ignored_keys: architecture.ignored_keys ?? [] };
}
