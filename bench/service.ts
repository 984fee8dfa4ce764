// `npm run bench:service`: training inside a service, measured three ways.
// 1. Event loop: the seed's LoRA phase run blocking on the main thread, then as a start_job
//    job while the main thread only measures its event-loop delay (monitorEventLoopDelay):
//    delay percentiles during the job, and the job's steps/s against the blocking loop's.
// 2. Shared base: the process's RSS with a 512 MB base and 1, then 4 worker jobs holding it
//    (load_state_dict assign: shared), and 4 holding copies, for contrast.
// 3. Load test: autocannon against examples/service.ts on 127.0.0.1, POST /predict, with no
//    job and while a job trains: latency p50 / p99 and requests/s.
// 4. Big predictions: other clients' latency (autocannon, 4 connections, an 8-row POST /predict)
//    while two clients loop on 4,096-row predictions, with --predict-chunk-rows 256 (one batch
//    per turn of the event loop) and with chunks too big to split (the whole request at once).
// BENCH_PARTS=loop,rss,load,big picks parts; BENCH_STEPS, BENCH_SECONDS size them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';
import {
  nn_linear, start_job, torch_empty_cache, torch_manual_seed, torch_matmul, torch_randn, torch_set_num_threads,
} from '../src/index.js';
import { writeChart, type ChartCase } from './chart.js';
import { big_base } from './service/hold-job.js';
import { lora_phase, type LoraPhaseInput } from './service/lora-job.js';

const here = dirname(fileURLToPath(import.meta.url));
const parts = (process.env.BENCH_PARTS ?? 'loop,rss,load,big').split(',');
const steps = Number(process.env.BENCH_STEPS ?? 600);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const ms = (ns: number): string => (ns / 1e6).toFixed(2);
// What each part measured, for the charts written at the end.
const loopCases: ChartCase[] = [];
const delayCases: ChartCase[] = [];
const rssCases: ChartCase[] = [];
const loadCases: ChartCase[] = [];
const bigCases: ChartCase[] = [];
// The 1-minute load average before and after part 4: the machine may be shared.
const bigLoad: number[] = [];

function rssMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function eventLoop(): Promise<void> {
  torch_manual_seed(0);
  const thetas = torch_randn(1001, 1000);
  const X = torch_randn(10_000, 1001);
  const y = torch_matmul(X, thetas.add(1));
  const base = nn_linear(1001, 1000, { bias: false });
  const input: LoraPhaseInput = { base: base.state_dict(), X, y, steps, seed: 1 };
  console.log(`1. The seed's LoRA phase, ${steps} steps of 128 rows (rank 1, Adam), blocking vs in a job:`);
  for (const threads of [1, 2]) {
    torch_set_num_threads(threads);
    lora_phase({ ...input, steps: 20 }); // warm up
    const blocking = lora_phase(input);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    const job = start_job<{ ms: number }>(new URL('./service/lora-job.js', import.meta.url), { input, threads });
    const { ms: inJob } = await job.result;
    const wall = performance.now() - started;
    delay.disable();
    console.log(`  ${threads} thread(s): blocking ${(steps / blocking * 1000).toFixed(1)} steps/s; job ${(steps / inJob * 1000).toFixed(1)} steps/s `
      + `(${(blocking / inJob).toFixed(3)}x blocking; ${(steps / wall * 1000).toFixed(1)} steps/s counting the worker's start)`);
    console.log(`    event-loop delay during the job: p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, `
      + `p99.9 ${ms(delay.percentile(99.9))} ms, max ${ms(delay.max)} ms (${delay.count} samples)`);
    loopCases.push({ label: `${threads} thread(s)`, values: { blocking: blocking / steps, 'in a job': inJob / steps } });
    delayCases.push({ label: `${threads} thread(s), p99`, values: { 'during the job': delay.percentile(99) / 1e6 } },
      { label: `${threads} thread(s), max`, values: { 'during the job': delay.max / 1e6 } });
  }
}

async function sharedBase(): Promise<void> {
  const layers = 32;
  const width = 2048;
  torch_manual_seed(0);
  const base = big_base(layers, width);
  const weights = base.state_dict();
  const mb = (layers * width * width * 4) / 2 ** 20;
  const settle = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) { (globalThis as { gc?: () => void }).gc?.(); await new Promise((r) => setTimeout(r, 100)); }
    torch_empty_cache();
    return rssMb();
  };
  const hold = async (count: number, copy: boolean): Promise<number> => {
    const jobs = Array.from({ length: count }, () => start_job(new URL('./service/hold-job.js', import.meta.url), { input: { base: weights, layers, width, copy }, threads: 1, progress_interval_ms: 0 }));
    await Promise.all(jobs.map((job) => new Promise((resolve, reject) => { job.once('progress', resolve); job.result.catch(reject); })));
    const rss = await settle();
    await Promise.all(jobs.map((job) => job.cancel()));
    await settle();
    return rss;
  };
  console.log(`2. A base of ${layers} x ${width}x${width} linears, ${mb.toFixed(0)} MB of weights, held by worker jobs:`);
  const alone = await settle();
  const one = await hold(1, false);
  const four = await hold(4, false);
  const copies = await hold(4, true);
  console.log(`  RSS: the base alone ${alone.toFixed(0)} MB; 1 job sharing it ${one.toFixed(0)} MB; 4 jobs sharing it ${four.toFixed(0)} MB `
    + `(${(four / one).toFixed(2)}x one); 4 jobs with copies ${copies.toFixed(0)} MB (${(copies / one).toFixed(2)}x)`);
  rssCases.push(...([['the base alone', alone], ['1 job sharing it', one], ['4 jobs sharing it', four], ['4 jobs with copies', copies]] as const)
    .map(([label, rss]) => ({ label, values: { RSS: rss } })));
}

interface Latency { p50: number; p99: number; rps: number; errors: number; non2xx: number }

function cannon(url: string, body: string): Promise<Latency> {
  return new Promise((resolve, reject) => {
    autocannon({ url: `${url}/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 4, duration: seconds },
      (error: Error | null, result: any) => {
        if (error) reject(error);
        else resolve({ p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, errors: result.errors, non2xx: result.non2xx });
      });
  });
}

// examples/service.ts on a free port of a fresh data folder, with `flags`.
async function withService(flags: string[], body: (url: string) => Promise<void>): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'torchlora-bench-service-'));
  const child = spawn(process.execPath, [join(here, '..', 'examples', 'service.js'), '--port', '0', '--data', data, ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => { out += chunk; const m = /listening on (\S+)/.exec(out); if (m) resolve(m[1]!); });
      child.on('exit', (code) => reject(new Error(`service exited with ${code}`)));
    });
    await body(url);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(data, { recursive: true, force: true });
  }
}

async function loadTest(): Promise<void> {
  await withService([], async (url) => {
    const post = async (path: string, body: unknown): Promise<any> => (await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    const rows = (n: number, seed: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: 32 }, (_, j) => Math.sin(seed + i * 32 + j)));
    const get = async (path: string): Promise<any> => (await fetch(url + path)).json();
    const examples = { inputs: rows(256, 0), targets: rows(256, 1).map((r) => r.slice(0, 8)) };
    const first = await post('/adapters/a/train', { ...examples, steps: 50 });
    while (['starting', 'running'].includes((await get(`/jobs/${first.job}`)).state)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    const body = JSON.stringify({ inputs: rows(8, 2), adapter: 'a' });
    const idle = await cannon(url, body);
    const job = await post('/adapters/b/train', { ...examples, steps: 100_000, checkpoint_every: 100_000 });
    await new Promise((r) => setTimeout(r, 500));
    const busy = await cannon(url, body);
    const progress = (await get(`/jobs/${job.job}`)).progress;
    console.log(`3. autocannon, 4 connections x ${seconds} s, POST /predict (8 rows, adapter "a", MLP 32-256-8):`);
    for (const [name, r] of [['no job', idle], ['a job training', busy]] as const) {
      console.log(`  ${name.padEnd(15)} p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.rps.toFixed(0)} requests/s (errors ${r.errors}, non-2xx ${r.non2xx})`);
      loadCases.push({ label: name, values: { p50: r.p50, p99: r.p99 } });
    }
    console.log(`  p99 during training / idle: ${(busy.p99 / idle.p99).toFixed(2)}x; the job meanwhile ran ${progress?.steps_per_second?.toFixed(0) ?? '?'} steps/s`);
  });
}

async function bigPredictions(): Promise<void> {
  const rows = (n: number, seed: number): string => JSON.stringify({ inputs: Array.from({ length: n }, (_, i) => Array.from({ length: 32 }, (_, j) => Math.sin(seed + i * 32 + j))) });
  const small = rows(8, 2);
  const big = rows(4096, 3);
  bigLoad.push(loadavg()[0]!);
  console.log(`4. Other clients (autocannon, 4 connections x ${seconds} s, 8-row POST /predict) while 2 clients loop on 4,096-row predictions `
    + `(load average ${bigLoad[0]!.toFixed(2)} before):`);
  for (const [label, chunk] of [['chunks of 256 rows', '256'], ['whole requests', '4096']] as const) {
    await withService(['--predict-chunk-rows', chunk], async (url) => {
      const idle = await cannon(url, small);
      let running = true;
      let answered = 0;
      const loop = async (): Promise<void> => {
        while (running) {
          const response = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
          await response.arrayBuffer();
          answered += 1;
        }
      };
      await fetch(`${url}/stats`); // resets the service's event-loop delay histogram
      const loops = [loop(), loop()];
      const busy = await cannon(url, small);
      running = false;
      await Promise.all(loops);
      const delay = ((await (await fetch(`${url}/stats`)).json()) as { event_loop_delay_ms: { p99: number; max: number } }).event_loop_delay_ms;
      console.log(`  ${label.padEnd(18)} idle p50 ${idle.p50.toFixed(2)} ms, p99 ${idle.p99.toFixed(2)} ms; with big predictions p50 ${busy.p50.toFixed(2)} ms, `
        + `p99 ${busy.p99.toFixed(2)} ms (${busy.rps.toFixed(0)} requests/s; ${answered} big predictions answered; errors ${busy.errors}, non-2xx ${busy.non2xx}); `
        + `the service's event-loop delay p99 ${delay.p99.toFixed(1)} ms, max ${delay.max.toFixed(1)} ms`);
      bigCases.push({ label: `${label}, idle`, values: { p50: idle.p50, p99: idle.p99 } }, { label: `${label}, big predictions`, values: { p50: busy.p50, p99: busy.p99 } });
    });
  }
  bigLoad.push(loadavg()[0]!);
  console.log(`  load average after: ${bigLoad[1]!.toFixed(2)} (${availableParallelism()} cores)`);
}

if (parts.includes('loop')) await eventLoop();
if (parts.includes('rss')) await sharedBase();
if (parts.includes('load')) await loadTest();
if (parts.includes('big')) await bigPredictions();

const note = 'examples/service.ts and bench/service/*.ts; Node has no PyTorch counterpart to run beside';
if (loopCases.length > 0) {
  writeChart({ name: 'service-loop', title: `The seed's LoRA phase (${steps} steps) blocking the main thread, and in a start_job job`, unit: 'ms per step', series: ['blocking', 'in a job'], cases: loopCases, note });
  writeChart({ name: 'service-delay', title: 'Main thread event-loop delay while the job trains', unit: 'ms', series: ['during the job'], cases: delayCases, note });
}
if (rssCases.length > 0) writeChart({ name: 'service-rss', title: 'RSS with a 512 MB base held by worker jobs', unit: 'MB', series: ['RSS'], cases: rssCases, note: 'shared: load_state_dict with assign: shared; copies: each job its own' });
if (bigCases.length > 0) {
  const load = `1-minute load average ${bigLoad.map((value) => value.toFixed(2)).join(' before, ')} after, on ${availableParallelism()} cores`;
  writeChart({ name: 'service-big', title: `8-row POST /predict while 2 clients loop on 4,096-row predictions (autocannon, 4 connections, ${seconds} s)`, unit: 'ms latency', series: ['p50', 'p99'], cases: bigCases, note: `${note}; ${load}`, ratio: false });
}
if (loadCases.length > 0) writeChart({ name: 'service-load', title: `POST /predict under autocannon (4 connections, ${seconds} s)`, unit: 'ms latency', series: ['p50', 'p99'], cases: loadCases, note, ratio: false });
