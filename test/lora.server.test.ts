// lora_server: requests batched into one mixed-adapter forward, equal to each row with its own
// adapter alone; hot swap (requests keep the version they pinned), removal that waits for
// requests in flight or refuses clearly, a bad request that fails alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  lora_adapters, lora_apply, lora_check_adapter_name, lora_load, lora_parameters, lora_save, lora_server, nn_linear, nn_relu, nn_sequential, torch_cat,
  torch_manual_seed, torch_memory_stats, torch_randn, with_adapter, with_adapters_disabled, with_no_grad, type nn_Module, type Tensor,
} from '../src/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'torchlora-server-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function base(): nn_Module {
  torch_manual_seed(0);
  return nn_sequential(nn_linear(6, 5), nn_relu(), nn_linear(5, 4));
}

// Saves an adapter of random weights for base() and returns its folder.
function adapter(name: string, seed: number, targets = ['0', '2'], r = 2): string {
  const model = base();
  lora_apply(model, { target_modules: targets, r, adapter: name });
  torch_manual_seed(seed);
  with_no_grad(() => { for (const p of lora_parameters(model, { adapter: name })) p.normal_(0, 0.5); });
  const dir = join(scratch, `${name}-${seed}`);
  lora_save(model, dir, { adapter: name });
  return dir;
}

// Each row alone through a model that loaded the folder itself (null: the base).
function expected(x: Tensor, rows: ({ dir: string } | null)[]): Tensor {
  return torch_cat(rows.map((row, i) => with_no_grad(() => {
    const model = base().eval();
    const input = x.index(`${i}:${i + 1}`);
    if (row === null) return model(input) as Tensor;
    lora_load(model, row.dir, { adapter: 'x' });
    return with_adapter(model, 'x', () => model(input) as Tensor);
  })), 0);
}

function close(actual: Tensor, wanted: Tensor): void {
  const worst = actual.sub(wanted).abs().max().item() as number;
  expect(worst).toBeLessThanOrEqual(1e-6 * (wanted.abs().max().item() as number));
}

const A1 = adapter('a', 1);
const A2 = adapter('a', 2);
const B = adapter('b', 3, ['0'], 3);

describe('lora_server', () => {
  it('runs requests of one turn as one batch, each row with its own adapter', async () => {
    const model = base();
    let forwards = 0;
    model.register_forward_hook(() => { forwards += 1; });
    const server = lora_server(model);
    server.load('a', A1);
    server.load('b', B);
    expect(server.adapters()).toEqual(['a', 'b']);
    const x = torch_randn(5, 6);
    const [y1, y2, y3] = await Promise.all([
      server.predict(x.index('0:2'), ['a', null]),
      server.predict(x.index('2:4'), 'b'),
      server.predict(x.index('4:5'), 'a'),
    ]);
    expect(forwards).toBe(1);
    close(torch_cat([y1!, y2!, y3!], 0), expected(x, [{ dir: A1 }, null, { dir: B }, { dir: B }, { dir: A1 }]));
    // The adapters matter: the base alone differs.
    expect(y2!.sub(with_adapters_disabled(model, () => with_no_grad(() => model(x.index('2:4')) as Tensor))).abs().max().item()).toBeGreaterThan(1e-3);
  });

  it('hot swap: a request keeps the version it arrived with; the old version leaves the model after it', async () => {
    const model = base();
    const server = lora_server(model);
    server.load('a', A1);
    const x = torch_randn(3, 6);
    const before = server.predict(x, 'a');        // pins version 1
    server.load('a', A2);                         // replaces it before the batch runs
    const after = server.predict(x, 'a');
    expect(lora_adapters(model).length).toBe(2);  // both versions while the first request holds one
    close(await before, expected(x, [{ dir: A1 }, { dir: A1 }, { dir: A1 }]));
    close(await after, expected(x, [{ dir: A2 }, { dir: A2 }, { dir: A2 }]));
    expect(lora_adapters(model)).toEqual(['a__v2']);
    expect(server.in_use('a')).toBe(0);
  });

  it('remove waits for requests in flight, or refuses with { wait: false }; later requests fail at once', async () => {
    const model = base();
    const server = lora_server(model);
    server.load('b', B);
    const x = torch_randn(2, 6);
    const order: string[] = [];
    const pending = server.predict(x, 'b').then((y) => { order.push('predict'); return y; });
    expect(server.in_use('b')).toBe(1);
    await expect(server.remove('b', { wait: false })).rejects.toThrow(/held by 1 request\(s\) in flight/);
    expect(server.adapters()).toEqual(['b']);
    const removed = server.remove('b').then(() => order.push('remove'));
    expect(() => server.predict(x, 'b')).toThrow(new RangeError('Expected one of the served adapters (none) or null for adapters but received "b"'));
    close(await pending, expected(x, [{ dir: B }, { dir: B }]));
    await removed;
    expect(order).toEqual(['predict', 'remove']);
    expect(lora_adapters(model)).toEqual([]);
    await expect(server.remove('b')).rejects.toThrow(RangeError);
  });

  it('a request with a wrong shape fails alone; the others of its batch are answered', async () => {
    const server = lora_server(base());
    server.load('a', A1);
    const x = torch_randn(2, 6);
    const [good, bad, alsoGood] = await Promise.allSettled([
      server.predict(x, 'a'), server.predict(torch_randn(2, 7), 'a'), server.predict(x, null),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(alsoGood.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/TorchError|shapes cannot be multiplied|size mismatch/);
    close((good as PromiseFulfilledResult<Tensor>).value, expected(x, [{ dir: A1 }, { dir: A1 }]));
    expect(server.in_use('a')).toBe(0);
  });

  it('refuses bad input clearly, and a failed load changes nothing', () => {
    const model = base();
    const server = lora_server(model);
    server.load('a', A1);
    expect(() => server.predict(torch_randn(2, 6), ['a'])).toThrow(RangeError);
    expect(() => server.predict(torch_randn(2, 6), 'nope')).toThrow('Expected one of the served adapters ("a") or null for adapters but received "nope"');
    expect(() => server.predict([1, 2] as never, 'a')).toThrow(TypeError);
    expect(() => server.load('a', join(scratch, 'missing'))).toThrow();
    expect(() => server.load('bad name', A1)).toThrow(TypeError);
    expect(server.adapters()).toEqual(['a']);
    expect(lora_adapters(model)).toEqual(['a__v1']);
    expect(() => lora_server(model)).toThrow(/a base model without adapters/);
    expect(() => lora_server(base(), { batch: 4 } as never)).toThrow(/batch/);
  });

  it('runs a request bigger than max_batch_rows in slices, one per turn of the event loop, with the versions it pinned', async () => {
    const model = base();
    let forwards = 0;
    const order: string[] = [];
    model.register_forward_hook(() => { forwards += 1; order.push('forward'); });
    const server = lora_server(model, { max_batch_rows: 2 });
    server.load('a', A1);
    const x = torch_randn(5, 6);
    const answered: string[] = [];
    const big = server.predict(x, 'a').then((y) => { answered.push('big'); return y; });
    const small = server.predict(x.index('0:1'), null).then((y) => { answered.push('small'); return y; });
    expect(server.pending_rows()).toBe(6);
    server.load('a', A2); // arrives after the request pinned A1: its later slices still use A1
    // Other work runs between the batches: a callback queued again each turn lands between forwards.
    let running = true;
    const seen: number[] = [];
    const tick = (): void => {
      order.push('turn');
      seen.push(server.pending_rows());
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const [y, z] = await Promise.all([big, small]);
    running = false;
    // Fair shares of 2 rows: the small request's row with the big one's row 0, then rows 1-2, 3-4.
    expect(forwards).toBe(3);
    expect(answered).toEqual(['small', 'big']); // not held behind all of the big request's slices
    expect(order.join(' ')).toMatch(/forward( turn)+ forward( turn)+ forward/);
    expect(seen.some((rows) => rows > 0 && rows < 6)).toBe(true);
    close(y!, expected(x, [{ dir: A1 }, { dir: A1 }, { dir: A1 }, { dir: A1 }, { dir: A1 }]));
    close(z!, expected(x.index('0:1'), [null]));
    expect(server.pending_rows()).toBe(0);
    expect(lora_adapters(model)).toEqual(['a__v2']);
  });

  it('lora_check_adapter_name is the rule load() applies', () => {
    for (const name of ['task_a', '_x', 'B-2']) expect(lora_check_adapter_name(name)).toBe(name);
    for (const name of ['123', '-x', 'train', 'eval', 'forward', 'constructor', '__proto__', 'toString', 'parameters', 'training', '', 'a b', 7]) {
      expect(() => lora_check_adapter_name(name)).toThrow(TypeError);
      expect(() => lora_server(base()).load(name as string, A1)).toThrow(TypeError);
    }
    expect(() => lora_check_adapter_name('train', 'adapter')).toThrow(/an adapter name .* for adapter but received "train"/);
  });

  it('leaves no tensors behind once outputs are disposed', async () => {
    const server = lora_server(base());
    server.load('a', A1);
    const x = torch_randn(4, 6);
    const sliced = lora_server(base(), { max_batch_rows: 3 }); // runs x in two slices
    sliced.load('a', A1);
    const wrong = torch_randn(2, 7);
    (await server.predict(x, 'a')).dispose(); // warm up (first-call allocations)
    (await sliced.predict(x, 'a')).dispose();
    globalThis.gc?.(); // the earlier tests' garbage, which a collection during the awaits would otherwise subtract
    const baseline = torch_memory_stats().tensors;
    for (let i = 0; i < 20; i++) {
      const outputs = await Promise.all([server.predict(x, 'a'), server.predict(x, null), sliced.predict(x, 'a'), sliced.predict(wrong, 'a').catch(() => x.clone())]);
      for (const y of outputs) y.dispose();
    }
    expect(torch_memory_stats().tensors).toBe(baseline);
  });
});
