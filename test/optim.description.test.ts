// Each optimizer kind is described once per language: a TypeScript table (src/optim/adam.ts,
// sgd.ts, rmsprop.ts, adagrad.ts) and native/optim/options.h's field lists. Here: the two name
// the same options and state, what an optimizer shows (param_groups, state_dict) is exactly
// its table, and the table's names and defaults are PyTorch's (asked of Python in the run).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { native } from '../src/core/native.js';
import { optim_adagrad, optim_adam, optim_adamw, optim_rmsprop, optim_sgd, torch_ones, type Optimizer, type Tensor } from '../src/index.js';
import { PYTHON, describe_with_python } from './parity/harness.js';

type Kind = 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';

// Each kind with its defaults (SGD has no default learning rate) and with options that make
// its state hold every tensor it can.
const KINDS: Record<Kind, { python: string; plain: (p: Tensor[]) => Optimizer<any>; full: (p: Tensor[]) => Optimizer<any>; flags: string[] }> = {
  adam: { python: 'Adam', plain: (p) => optim_adam(p), full: (p) => optim_adam(p, { amsgrad: true }), flags: ['maximize', 'foreach', 'fused'] },
  adamw: { python: 'AdamW', plain: (p) => optim_adamw(p), full: (p) => optim_adamw(p, { amsgrad: true }), flags: ['maximize', 'foreach', 'fused'] },
  sgd: { python: 'SGD', plain: (p) => optim_sgd(p, { lr: 0.1 }), full: (p) => optim_sgd(p, { lr: 0.1, momentum: 0.9 }), flags: ['maximize', 'foreach', 'fused'] },
  rmsprop: { python: 'RMSprop', plain: (p) => optim_rmsprop(p), full: (p) => optim_rmsprop(p, { momentum: 0.9, centered: true }), flags: ['maximize', 'foreach'] },
  adagrad: { python: 'Adagrad', plain: (p) => optim_adagrad(p), full: (p) => optim_adagrad(p), flags: ['maximize', 'foreach', 'fused'] },
};
const NAMES = Object.keys(KINDS) as Kind[];

const parameter = (): Tensor => torch_ones(2).requires_grad_();

describe('the TypeScript table and native/optim/options.h name the same things', () => {
  it.each(NAMES)('%s: options, flags, state tensors and step count', (name) => {
    const native_ = native.optimizerFields(name);
    const opt = KINDS[name].full([parameter()]);
    const keys = Object.keys(opt.param_groups[0]!).filter((key) => key !== 'params');
    expect(keys.filter((key) => !native_.flags.includes(key))).toEqual(native_.options);
    expect(keys.filter((key) => native_.flags.includes(key))).toEqual(KINDS[name].flags);

    const p = opt.param_groups[0]!.params[0]!;
    p.sum().backward();
    opt.step();
    const state = opt.state_dict().state[0]!;
    expect(Object.keys(state).filter((key) => key !== 'step').sort()).toEqual([...native_.state].sort());
    expect('step' in state).toBe(native_.step);
  });

  it.each(NAMES)('%s: state_dict().param_groups holds the table\'s options and params, in order', (name) => {
    const opt = KINDS[name].plain([parameter()]);
    const group = opt.state_dict().param_groups[0]!;
    expect(Object.keys(group)).toEqual([...Object.keys(opt.param_groups[0]!).filter((key) => key !== 'params'), 'params']);
  });

  it('every kind refuses an option outside its table, naming the table', () => {
    expect(() => optim_rmsprop([parameter()], { fused: true } as never)).toThrow(
      new TypeError('Expected one of lr, alpha, eps, weight_decay, momentum, centered, maximize, foreach for optim_rmsprop options but received "fused"'),
    );
    expect(() => optim_adagrad([parameter()], { amsgrad: true } as never)).toThrow(
      new TypeError('Expected one of lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize, foreach, fused for optim_adagrad options but received "amsgrad"'),
    );
  });
});

describe_with_python('the tables are PyTorch\'s', () => {
  // Each torch.optim class's defaults, by name; None (foreach, fused: chosen by device) as null.
  const script = [
    'import json, torch',
    'p = [torch.nn.Parameter(torch.ones(2))]',
    'kinds = {"adam": torch.optim.Adam(p), "adamw": torch.optim.AdamW(p), "sgd": torch.optim.SGD(p, lr=0.1),',
    '         "rmsprop": torch.optim.RMSprop(p), "adagrad": torch.optim.Adagrad(p)}',
    'print(json.dumps({k: {n: list(v) if isinstance(v, tuple) else v for n, v in o.defaults.items()} for k, o in kinds.items()}))',
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
  const python = run.status === 0 ? JSON.parse(run.stdout) as Record<Kind, Record<string, unknown>> : undefined;

  it.each(NAMES)('%s: every option is one of torch.optim\'s, with its default', (name) => {
    expect(python, run.stderr).toBeDefined();
    const ours = { ...KINDS[name].plain([parameter()]).state_dict().param_groups[0]! } as Record<string, unknown>;
    delete ours.params;
    for (const [key, value] of Object.entries(ours)) {
      // 1.13's AdamW and SGD have no `fused` (torchlora's loop stands in for it there).
      if (key === 'fused' && !(key in python![name])) continue;
      expect(python![name], `torch.optim.${KINDS[name].python} has ${key}`).toHaveProperty(key);
      // PyTorch's foreach=None and fused=None choose by device: its default path on the CPU.
      const expected = (key === 'foreach' || key === 'fused') && python![name][key] === null ? false : python![name][key];
      expect(value, key).toEqual(expected);
    }
  });
});
