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
// Ops take tensor ids (a Tensor's \`h\`) and return the result's, which the object keeps.
const keep = [];
for (let i = 0; i < workerData.count; i++) keep.push({ h: addon.full([2, 2], workerData.value, null, null, false) });
const sum = { h: addon.sum(keep[0].h, null, false, null) };
let error = null;
try { const o = { h: addon.ones([3, 3], null, null, false) }; addon.matmul(keep[0].h, o.h); }
catch (e) { error = e instanceof TorchError ? 'TorchError' : String(e); }
// Operators reached through the dispatcher are resolved per thread: ids differ in order here.
const ids = workerData.value % 2 === 0
  ? [addon.resolveOp('aten::cumsum', ''), addon.resolveOp('aten::flip', '')]
  : [addon.resolveOp('aten::flip', ''), addon.resolveOp('aten::cumsum', '')].reverse();
const running = addon.callOp(() => ({}), ids[0], [keep[0], 1, undefined], true);
const cumulative = { h: addon.sum(running.h, null, false, null) };
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
