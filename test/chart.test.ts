// The pictures: the benchmarks' bar charts and tables (bench/chart.ts) and the examples' loss
// curves. An SVG counts as well-formed when Python's XML parser reads it; the numbers a table
// prints are checked against arithmetic on the inputs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { barChartSvg, chartMarkdown, lossCurveSvg, sparkline, writeChart, type BarChart } from '../bench/chart.js';
import { parseSvg } from './svg.js';

const ROOT = join(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'torchlora-chart-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const chart: BarChart = {
  name: 'test', title: 'A & B <case> "quoted"', unit: 'ms', series: ['torchlora', 'PyTorch'],
  cases: [
    { label: 'first | piped', values: { torchlora: 3.6, PyTorch: 4 }, floor: 2.5 },
    { label: 'second', values: { torchlora: 12 } },
  ],
  note: 'floor: the products alone',
};

describe('bar charts and tables', () => {
  it('draws one bar per measured value, escapes the text, and parses as SVG', () => {
    const parsed = parseSvg(barChartSvg(chart));
    expect(parsed.root).toBe('{http://www.w3.org/2000/svg}svg');
    // the background, a legend square per series, and the three measured values (the second case has no PyTorch value)
    expect(parsed.rects).toBe(1 + 2 + 3);
    expect(parsed.texts).toContain('A & B <case> "quoted"');
    expect(parsed.texts).toContain('first | piped');
  });

  it('tabulates each case with ours / PyTorch and the floor', () => {
    const lines = chartMarkdown(chart).split('\n');
    expect(lines).toContain('| case | torchlora (ms) | PyTorch (ms) | torchlora / PyTorch | floor (ms) |');
    expect(lines).toContain(`| first \\| piped | 3.6 | 4 | ${(3.6 / 4).toFixed(2)} | 2.5 |`);
    expect(lines).toContain('| second | 12 |  |  |  |');
    // Series that are not ours beside PyTorch's (p50, p99) get no ratio column when asked.
    const latency = chartMarkdown({ ...chart, series: ['p50', 'p99'], cases: [{ label: 'idle', values: { p50: 1, p99: 3 } }], ratio: false }).split('\n');
    expect(latency).toContain('| case | p50 (ms) | p99 (ms) |');
    expect(latency).toContain('| idle | 1 | 3 |');
  });

  it('writes <name>.svg and <name>.md', () => {
    const paths = writeChart(chart, out);
    expect(paths).toEqual({ svg: join(out, 'test.svg'), md: join(out, 'test.md') });
    expect(parseSvg(readFileSync(paths.svg, 'utf8')).rects).toBe(6);
    expect(readFileSync(paths.md, 'utf8')).toBe(chartMarkdown(chart));
  });
});

describe('loss curves', () => {
  it('has one point per recorded step in each series, inside the plot, also for a loss that is not finite', () => {
    const parsed = parseSvg(lossCurveSvg({ pretrain: [10, 1, 0.1, Number.NaN, 0.01], lora: [5, 0.5, -1] }, { log: true }));
    expect(parsed.polylines.map((points) => points.length)).toEqual([5, 3]);
    for (const [x, y] of parsed.polylines.flat()) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(640);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(320);
    }
    // On the log axis 10, 1, 0.1 are evenly spaced (one decade each), and the loss falls: y grows downwards.
    const [a, b, c] = parsed.polylines[0]!.map(([, y]) => y!);
    expect(b! - a!).toBeCloseTo(c! - b!, 0);
    expect(b!).toBeGreaterThan(a!);
  });

  it('prints as a sparkline of at most `width` characters, lowest to highest', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline(Array.from({ length: 500 }, (_, i) => 500 - i), { width: 40 })).toHaveLength(40);
    expect(sparkline([1000, 100, 10, 1], { log: true })).toBe('█▆▃▁');
  });

  it('npm start -- --plot FILE writes both phases\' curves, one point per step', () => {
    const file = join(out, 'seed.svg');
    // 384 rows in batches of 128: 3 steps an epoch, 2 epochs a phase.
    const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'examples', 'lora-minimal.js'), '--epochs', '2', '--n', '384', '--threads', '1', '--plot', file],
      { encoding: 'utf8', timeout: 120_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(parseSvg(readFileSync(file, 'utf8')).polylines.map((points) => points.length)).toEqual([6, 6]);
    expect(result.stdout).toMatch(/^pretrain [▁▂▃▄▅▆▇█]{6} {2}\(6 steps, log scale/m);
  });

  it('npm start with a bad flag says so in one line and exits 2, before any work', () => {
    for (const [args, message] of [[['--bogus'], "Unknown option '--bogus' (--help lists the flags)\n"], [['--epochs', 'x'], '--epochs must be an integer >= 1, got x\n']] as const) {
      const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'examples', 'lora-minimal.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(message);
      expect(result.stdout).toBe('');
    }
  });
});
