// The seed post end to end: examples/lora-minimal.ts and its Python twin bench/seed.py,
// with the same seed and batch draws, must give the same loss at every step of both
// phases, the same delta_theta and the same merged loss: bit for bit on the same libtorch.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describe_with_python, PYTHON } from './harness.js';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const example = join(root, 'dist', 'examples', 'lora-minimal.js');
const args = ['--epochs', '2', '--n', '1000', '--rank', '1', '--seed', '7', '--threads', '1', '--trace'];

function trace(output: string): { steps: number[]; delta: number[][]; merged: number } {
  const lines = output.split('\n').filter((line) => line.startsWith('trace '));
  const value = (kind: string) => lines.filter((line) => line.startsWith(`trace ${kind} `)).map((line) => line.slice(`trace ${kind} `.length));
  return {
    steps: value('step').map(Number),
    delta: JSON.parse(value('delta')[0]!) as number[][],
    merged: Number(value('merged')[0]),
  };
}

describe_with_python('the seed post, here and in Python PyTorch', () => {
  it('gives the same loss at every step, the same delta_theta and the same merged loss', () => {
    // npm test compiles the example first (scripts/setup.mjs); a stale build would test old code.
    expect(statSync(example).mtimeMs, 'dist/ is older than the example: run `npm run build`')
      .toBeGreaterThanOrEqual(statSync(join(root, 'examples', 'lora-minimal.ts')).mtimeMs);
    const ours = trace(execFileSync(process.execPath, [example, ...args], { encoding: 'utf8' }));
    const theirs = trace(execFileSync(PYTHON, [join(root, 'bench', 'seed.py'), ...args], { encoding: 'utf8' }));
    // floor(1000 / 128) = 7 steps an epoch, 2 epochs, in each of the two phases.
    expect(ours.steps).toHaveLength(28);
    expect(ours.steps).toEqual(theirs.steps);
    expect(ours.delta).toEqual(theirs.delta);
    expect(ours.merged).toBe(theirs.merged);
  });
});
