// The addon keeps its state per Node environment, so it loads in several worker_threads
// at once, each with its own live-tensor count; ending a worker frees its tensors.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { torch_memory_stats, torch_ones } from '../src/index.js';

const addonPath = fileURLToPath(new URL('../build/Release/torchlora.node', import.meta.url));

// Plain JavaScript: the worker uses the raw addon, so no TypeScript loader is needed there.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.addonPath);
class TorchError extends Error {}
addon.initialize(TorchError);
// Ops go through the dispatcher: resolveOp names an operator, callOp takes tensor ids (a
// Tensor's \`h\`) and returns the result's, which the object keeps.
const op = (name, overload = '') => addon.resolveOp('aten::' + name, overload);
const [FULL, SUM, ONES, MATMUL] = [op('full'), op('sum'), op('ones'), op('matmul')];
const keep = [];
for (let i = 0; i < workerData.count; i++) keep.push({ h: addon.callOp(FULL, [2, 2], workerData.value) });
const sum = { h: addon.callOp(SUM, keep[0].h) };
let error = null;
try { const o = { h: addon.callOp(ONES, [3, 3]) }; addon.callOp(MATMUL, keep[0].h, o.h); }
catch (e) { error = e instanceof TorchError ? 'TorchError' : String(e); }
// Operators are resolved per thread: the ids differ in order here.
const ids = workerData.value % 2 === 0
  ? [op('cumsum'), op('flip')]
  : [op('flip'), op('cumsum')].reverse();
const running = { h: addon.callOp(ids[0], keep[0].h, 1) };
const cumulative = { h: addon.callOp(SUM, running.h) };
const live = addon.memoryStats().tensors;
parentPort.postMessage({ sum: addon.item(sum.h), cumsum: addon.item(cumulative.h), live, error });
`;

function runWorker(value: number, count: number): Promise<{ sum: number; cumsum: number; live: number; error: string }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { addonPath, value, count } });
    worker.once('message', (message) => { resolve(message); void worker.terminate(); });
    worker.once('error', reject);
  });
}

describe('worker_threads', () => {
  it('loads in four workers at once, each with its own state and error class', async () => {
    const mainBefore = torch_memory_stats().tensors;
    const results = await Promise.all([1, 2, 3, 4].map((value) => runWorker(value, value * 10)));
    results.forEach((result, i) => {
      const value = i + 1;
      expect(result.sum).toBe(4 * value);
      // cumsum along rows of [[v, v], [v, v]] is [[v, 2v], [v, 2v]]: 6v in all
      expect(result.cumsum).toBe(6 * value);
      // count full tensors + the sum + the 3x3 operand + the cumsum and its sum; the failed matmul's output holds none
      expect(result.live).toBe(value * 10 + 4);
      expect(result.error).toBe('TorchError');
    });
    expect(torch_memory_stats().tensors).toBe(mainBefore);
    expect(torch_ones(2).sum().item()).toBe(2); // the main thread is unaffected
  });
});
