// torch.distributed on c10d, with real processes on 127.0.0.1: DDP's result against one
// process, a Python rank in the same group, a rank that dies, and bad input.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TorchError, dist_all_reduce, dist_barrier_async, dist_get_rank, dist_init_process_group, distributed_sampler, tensor_dataset,
  torch_zeros,
} from '../src/index.js';
import { PYTHON, describe_with_python } from './parity/harness.js';

const RANK = join(import.meta.dirname, 'fixtures', 'dist_rank.mjs');
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

/** A port nobody listens on now (the OS picks it; closed again before use). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Exit { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Runs a command to its end (killed after `limitMs`); its output and how it ended. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, limitMs = 60_000): Promise<Exit> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => { stdout += chunk; });
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(timer);
    children.delete(child);
    resolve({ code, signal, stdout, stderr });
  }));
}

function nodeRank(job: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return run(process.execPath, [RANK, JSON.stringify({ timeout: 20, ...job })], env);
}

function result(exit: Exit): any {
  if (exit.code !== 0) throw new Error(`rank exited with ${exit.code ?? exit.signal}: ${exit.stderr}`);
  return JSON.parse(exit.stdout.trim().split('\n').pop()!);
}

function maxRelative(a: number[][], b: number[][]): number {
  let diff = 0;
  let scale = 0;
  a.forEach((row, i) => row.forEach((value, j) => {
    diff = Math.max(diff, Math.abs(value - b[i]![j]!));
    scale = Math.max(scale, Math.abs(b[i]![j]!));
  }));
  return diff / scale;
}

describe('DistributedDataParallel on two processes', () => {
  it('trains a LoRA to the A and B of one process on the whole batch, equal bit for bit on both ranks', async () => {
    const port = await freePort();
    const [zero, one, single] = await Promise.all([
      nodeRank({ mode: 'lora', rank: 0, world_size: 2, port }),
      nodeRank({ mode: 'lora', rank: 1, world_size: 2, port }),
      nodeRank({ mode: 'single', rank: 0, world_size: 1, port: 0 }),
    ]);
    const [a, b, whole] = [result(zero), result(one), result(single)] as number[][][];
    expect(a).toHaveLength(2);                            // lora_A and lora_B only
    expect(a).toEqual(b);                                 // the same bytes on both ranks
    expect(maxRelative(a!, whole!)).toBeLessThanOrEqual(1e-6);
    expect(maxRelative(whole!, whole!.map((row) => row.map(() => 0)))).toBeGreaterThan(0); // B moved from its zero start
  });
});

describe_with_python('a Node rank and a Python rank in one group', () => {
  // Python's torch.distributed (of the same libtorch: Debian's 1.13 or the project's PyTorch) as the other rank.
  const python = `
import datetime, json, sys, torch, torch.distributed as dist
rank, port = int(sys.argv[1]), sys.argv[2]
dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2, timeout=datetime.timedelta(seconds=20))
summed = torch.tensor([rank + 1.0, 10.0 * (rank + 1)], dtype=torch.float64); dist.all_reduce(summed)
maxed = torch.tensor([5.0 if rank == 0 else -3.0]); dist.all_reduce(maxed, dist.ReduceOp.MAX)
broadcast = torch.tensor([rank * 7 + 0.5]); dist.broadcast(broadcast, 1)
gathered = [torch.zeros(2) for _ in range(2)]; dist.all_gather(gathered, torch.tensor([float(rank), 10.0 + rank]))
print(json.dumps({'summed': summed.tolist(), 'maxed': maxed.tolist(), 'broadcast': broadcast.tolist(), 'gathered': [t.tolist() for t in gathered]}))
dist.destroy_process_group()
`;
  const expected = { summed: [3, 30], maxed: [5], broadcast: [7.5], gathered: [[0, 10], [1, 11]] };

  // Node's default checks each collective first (c10d's ProcessGroupWrapper): Python does
  // with TORCH_DISTRIBUTED_DEBUG=DETAIL. Unchecked on both sides, the plain Gloo group.
  for (const [nodeIs, checked] of [[0, true], [1, false]] as const) {
    it(`all_reduce, broadcast and all_gather agree with Node as rank ${nodeIs}, ${checked ? 'checked' : 'unchecked'}`, async () => {
      const port = await freePort();
      const [node, py] = await Promise.all([
        nodeRank({ mode: 'interop', rank: nodeIs, world_size: 2, port, ...(checked ? {} : { check_collectives: false }) }),
        run(PYTHON, ['-c', python, String(1 - nodeIs), String(port)], { TORCH_DISTRIBUTED_DEBUG: checked ? 'DETAIL' : 'OFF' }),
      ]);
      expect(result(node)).toEqual(expected);
      expect(result(py)).toEqual(expected);
    });
  }

  // A Python rank checks collectives only under TORCH_DISTRIBUTED_DEBUG=DETAIL, a torchlora
  // rank unless told otherwise. Ranks that disagree, with every timeout at its default of
  // 1800 s: Node's init is a TorchError within seconds that says how to agree, and Python,
  // let out of its init, fails at its first collective on the Gloo the Node rank closed.
  const pythonAgree = `
import json, sys, time, torch, torch.distributed as dist
rank, port = int(sys.argv[1]), sys.argv[2]
start = time.time()
try:
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    summed = torch.tensor([rank + 1.0]); dist.all_reduce(summed)
    print(json.dumps({'summed': summed.tolist()}))
except Exception as error:
    print(json.dumps({'error': type(error).__name__, 'message': str(error), 'ms': 1000 * (time.time() - start)}))
`;
  // Python as it comes (no TORCH_DISTRIBUTED_DEBUG) beside Node's default; with
  // TORCH_DIST_INIT_BARRIER=1, Python as rank 0 waits in its init's barrier, which the Node
  // rank reaches before it leaves; Python under DETAIL beside check_collectives: false.
  const disagreeing: [number, boolean, Record<string, string>][] = [
    [0, true, {}], [1, true, {}], [1, true, { TORCH_DIST_INIT_BARRIER: '1' }], [1, false, { TORCH_DISTRIBUTED_DEBUG: 'DETAIL' }],
  ];
  for (const [nodeIs, checked, pythonEnv] of disagreeing) {
    it(`fail fast when Node (rank ${nodeIs}, ${checked ? 'default: checked' : 'check_collectives: false'}) meets Python with ${JSON.stringify(pythonEnv)}`, async () => {
      const port = await freePort();
      const unset = { TORCH_DISTRIBUTED_DEBUG: undefined, TORCH_DIST_INIT_BARRIER: undefined };
      const [node, py] = await Promise.all([
        run(process.execPath, [RANK, JSON.stringify({ mode: 'agree', rank: nodeIs, world_size: 2, port, ...(checked ? {} : { check_collectives: false }) })], unset),
        run(PYTHON, ['-c', pythonAgree, String(1 - nodeIs), String(port)], { ...unset, ...pythonEnv }),
      ]);
      const [nodeFailed, pyFailed] = [result(node), result(py)];
      expect(nodeFailed.error).toBe('TorchError');
      expect(nodeFailed.message).toMatch(/disagree on check_collectives/);
      expect(nodeFailed.message).toMatch(checked ? /this rank checks collectives, rank \d does not/ : /this rank does not check collectives.*rank \d does/);
      expect(nodeFailed.message).toMatch(/TORCH_DISTRIBUTED_DEBUG=DETAIL.*check_collectives: false/);
      expect(nodeFailed.ms).toBeLessThan(30_000);
      expect(pyFailed.error).toMatch(/^(RuntimeError|DistBackendError)$/); // gloo: "Connection closed by peer" or a failed monitoredBarrier
      expect(pyFailed.ms).toBeLessThan(30_000);
    });
  }

  // PyTorch 2.1 and later end init_process_group with a store-based barrier only when asked
  // (1.13 and 2.0 always do): both ranks then wait for each other there.
  it('agree with TORCH_DIST_INIT_BARRIER=1 on both ranks', async () => {
    const port = await freePort();
    const [node, py] = await Promise.all([
      nodeRank({ mode: 'interop', rank: 1, world_size: 2, port }, { TORCH_DIST_INIT_BARRIER: '1' }),
      run(PYTHON, ['-c', python, '0', String(port)], { TORCH_DISTRIBUTED_DEBUG: 'DETAIL', TORCH_DIST_INIT_BARRIER: '1' }),
    ]);
    expect(result(node)).toEqual(expected);
    expect(result(py)).toEqual(expected);
  });
});

describe('failures', () => {
  it('a rank that dies makes the other throw a TorchError within the timeout', async () => {
    const port = await freePort();
    const [zero, one] = await Promise.all([
      nodeRank({ mode: 'kill', rank: 0, world_size: 2, port, timeout: 10 }),
      nodeRank({ mode: 'kill', rank: 1, world_size: 2, port, timeout: 10 }),
    ]);
    expect(one.signal).toBe('SIGKILL');
    const failed = result(zero);
    expect(failed.error).toBe('TorchError');
    expect(failed.ms).toBeLessThan(10_000);
  });

  it('a tensor of another shape on one rank is a TorchError on both, naming both shapes', async () => {
    const port = await freePort();
    const exits = await Promise.all([0, 1].map((rank) => nodeRank({ mode: 'shape', rank, world_size: 2, port })));
    for (const exit of exits) {
      const failed = result(exit);
      expect(failed.error).toBe('TorchError');
      expect(failed.message).toMatch(/Detected mismatch between collectives on ranks/);
      expect(failed.message).toMatch(/TensorShape=\[3\]/);
      expect(failed.message).toMatch(/TensorShape=\[5\]/);
    }
  });

  it('two torchlora ranks that disagree on check_collectives get a TorchError from init, each naming the other\'s setting', async () => {
    const port = await freePort();
    const exits = await Promise.all([0, 1].map((rank) => nodeRank({ mode: 'agree', rank, world_size: 2, port, check_collectives: rank === 0 })));
    const [zero, one] = exits.map(result);
    expect(zero.error).toBe('TorchError');
    expect(zero.message).toMatch(/this rank checks collectives, rank 1 does not \(a torchlora rank with check_collectives: false\)/);
    expect(one.error).toBe('TorchError');
    expect(one.message).toMatch(/this rank does not check collectives \(check_collectives: false\), rank 0 does \(a torchlora rank with check_collectives: true\)/);
  });

  it('DDP over models of other sizes on the two ranks is a TorchError on both', async () => {
    const port = await freePort();
    const exits = await Promise.all([0, 1].map((rank) => nodeRank({ mode: 'ddp_shape', rank, world_size: 2, port })));
    for (const exit of exits) {
      const failed = result(exit);
      expect(failed.error).toBe('TorchError');
      expect(failed.message).toMatch(/Detected mismatch between collectives on ranks/);
    }
  });

  it('refuses bad options, collectives before init and an unreachable master', async () => {
    expect(() => dist_all_reduce(torch_zeros(2))).toThrow(TorchError);
    expect(() => dist_get_rank()).toThrow(/has not been initialized/);
    expect(() => dist_barrier_async()).toThrow(TorchError);
    const tcp = 'tcp://127.0.0.1:29999';
    expect(() => dist_init_process_group({ backend: 'gloo', init_method: tcp, rank: 0, world_size: 0 }))
      .toThrow(new RangeError('Expected a positive world_size for world_size but received 0'));
    expect(() => dist_init_process_group({ backend: 'gloo', init_method: tcp, rank: 2, world_size: 2 }))
      .toThrow(new RangeError('Expected a rank from 0 to world_size - 1 = 1 for rank but received 2'));
    expect(() => dist_init_process_group({ backend: 'mpi' as 'gloo', init_method: tcp, rank: 0, world_size: 1 })).toThrow(TypeError);
    expect(() => dist_init_process_group({ backend: 'gloo', init_method: 'file:///tmp/x', rank: 0, world_size: 1 })).toThrow(TypeError);
    expect(() => dist_init_process_group({ backend: 'gloo', init_method: tcp, rank: 0, world_size: 1, timeout: -1 })).toThrow(RangeError);
    expect(() => dist_init_process_group({ backend: 'gloo', init_method: tcp, rank: 0, world_size: 1, check_collectives: 1 as never }))
      .toThrow(new TypeError('Expected a boolean for check_collectives but received 1'));
    expect(() => dist_init_process_group({ backend: 'gloo', init_method: tcp, rank: 0, world_size: 1, group_name: 'x' } as never)).toThrow(TypeError);
    expect(() => dist_init_process_group({ backend: 'nccl', init_method: tcp, rank: 0, world_size: 1 })).toThrow(/NCCL/);
    const env = { ...process.env };
    try {
      delete process.env.MASTER_ADDR;
      expect(() => dist_init_process_group({ backend: 'gloo' })).toThrow(/MASTER_ADDR/);
    } finally {
      Object.assign(process.env, env);
    }
    // Rank 1 of a group whose master never comes: c10d's TCPStore gives up after the timeout.
    const start = Date.now();
    const port = await freePort();
    expect(() => dist_init_process_group({ backend: 'gloo', init_method: `tcp://127.0.0.1:${port}`, rank: 1, world_size: 2, timeout: 1 }))
      .toThrow(TorchError);
    expect(Date.now() - start).toBeLessThan(15_000);
  });
});

describe('distributed_sampler', () => {
  it('shards as PyTorch\'s DistributedSampler (padding, drop_last, shuffle with seed + epoch)', async () => {
    const ds = tensor_dataset(torch_zeros(11, 1));
    const ours: number[][] = [];
    const cases = [[{ shuffle: false }, 0], [{ shuffle: false, drop_last: true }, 0], [{ seed: 3 }, 0], [{ seed: 3 }, 1]] as const;
    for (const [options, epoch] of cases) {
      for (const rank of [0, 1, 2]) {
        const sampler = distributed_sampler(ds, { num_replicas: 3, rank, ...options });
        sampler.set_epoch(epoch);
        expect(sampler.length).toBe([...sampler].length);
        ours.push([...sampler]);
      }
    }
    const script = `
import json
from torch.utils.data.distributed import DistributedSampler
cases = [(dict(shuffle=False), 0), (dict(shuffle=False, drop_last=True), 0), (dict(seed=3), 0), (dict(seed=3), 1)]
out = []
for options, epoch in cases:
    for rank in range(3):
        s = DistributedSampler(range(11), num_replicas=3, rank=rank, **options); s.set_epoch(epoch); out.append(list(s))
print(json.dumps(out))`;
    expect(result(await run(PYTHON, ['-c', script]))).toEqual(ours);
    expect(() => distributed_sampler(ds, { num_replicas: 2, rank: 2 })).toThrow(RangeError);
    expect(() => distributed_sampler(ds)).toThrow(TorchError);
  });
});
