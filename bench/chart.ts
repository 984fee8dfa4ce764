// Pictures of results, without dependencies: a horizontal bar chart (SVG) and a Markdown table
// for the benchmarks (each case: our bar beside PyTorch's, the floor as a dashed mark where
// there is one), and a line chart (SVG) or a terminal sparkline for the examples' loss curves.
// The benchmarks write bench/results/<name>.svg and .md ($BENCH_RESULTS elsewhere).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One case of a benchmark: a value per series (undefined: not measured) and its floor, if any. */
export interface ChartCase {
  label: string;
  values: Record<string, number | undefined>;
  floor?: number;
}

export interface BarChart {
  /** File name without extension: bench/results/<name>.svg and .md. */
  name: string;
  title: string;
  /** What the numbers are, e.g. "ms per step" (smaller is better). */
  unit: string;
  /** The series in drawing order, ours first ("torchlora", "PyTorch"). */
  series: string[];
  cases: ChartCase[];
  /**
   * "shared": one axis for every case (cases compare with each other); "per-case": each case
   * drawn against its own largest value (cases of very different sizes), numbers printed.
   */
  scale?: 'shared' | 'per-case';
  /** A line under the chart and the table: what the floor is, the machine, ... */
  note?: string;
  /** false: the first two series are not ours and PyTorch's (p50 and p99), so the table has no ratio column. */
  ratio?: boolean;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd'];
const FONT = 'font-family="sans-serif" font-size="12"';
const TITLE_FONT = 'font-family="sans-serif" font-size="14" font-weight="bold"';

/** Escapes text for an SVG (XML) text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A value as the charts print it: 3 significant digits, no exponent for ordinary sizes. */
export function formatValue(value: number): string {
  return Math.abs(value) >= 1000 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();
}

function svgDocument(width: number, height: number, body: string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Splits `text` into lines of at most `columns` characters, at spaces. */
function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= columns) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** The bar chart as an SVG document. @example writeFileSync('x.svg', barChartSvg(chart)) */
export function barChartSvg(chart: BarChart): string {
  const labelWidth = 260;
  const plotWidth = 420;
  const bar = 14;
  const group = chart.series.length * bar + 14;
  const top = 44;
  const width = labelWidth + plotWidth + 90;
  const foot = wrap(`${chart.unit}, smaller is better${chart.scale === 'per-case' ? '; each case on its own scale' : ''}${chart.note ? `. ${chart.note}` : ''}`, Math.floor((width - 20) / 6.5));
  const height = top + chart.cases.length * group + 24 + 16 * foot.length;
  const largest = (c: ChartCase) => Math.max(...Object.values(c.values).filter((v): v is number => v !== undefined), c.floor ?? 0, Number.MIN_VALUE);
  const shared = Math.max(...chart.cases.map(largest));
  const body = [`<text x="10" y="20" ${TITLE_FONT}>${escapeXml(chart.title)}</text>`];
  // Legend entries side by side, each as wide as its name (about 7 px a character).
  let x = labelWidth;
  chart.series.forEach((series, s) => {
    body.push(`<rect x="${x}" y="28" width="10" height="10" fill="${COLORS[s % COLORS.length]}"/>`,
      `<text x="${x + 14}" y="37" ${FONT}>${escapeXml(series)}</text>`);
    x += 14 + 7 * series.length + 24;
  });
  if (chart.cases.some((c) => c.floor !== undefined)) {
    body.push(`<line x1="${x}" y1="27" x2="${x}" y2="39" stroke="black" stroke-width="2" stroke-dasharray="3,2"/>`,
      `<text x="${x + 6}" y="37" ${FONT}>floor</text>`);
  }
  chart.cases.forEach((c, i) => {
    const y = top + i * group;
    const scale = plotWidth / (chart.scale === 'per-case' ? largest(c) : shared);
    body.push(`<text x="${labelWidth - 8}" y="${y + (chart.series.length * bar) / 2 + 4}" ${FONT} text-anchor="end">${escapeXml(c.label)}</text>`);
    chart.series.forEach((series, s) => {
      const value = c.values[series];
      if (value === undefined) return;
      const w = Math.max(1, value * scale);
      body.push(`<rect x="${labelWidth}" y="${y + s * bar}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${COLORS[s % COLORS.length]}"/>`,
        `<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + s * bar + 10}" ${FONT}>${formatValue(value)}</text>`);
    });
    if (c.floor !== undefined) {
      const x = (labelWidth + c.floor * scale).toFixed(1);
      body.push(`<line x1="${x}" y1="${y - 2}" x2="${x}" y2="${y + chart.series.length * bar}" stroke="black" stroke-width="2" stroke-dasharray="3,2"/>`);
    }
  });
  foot.forEach((line, i) => body.push(`<text x="10" y="${height - 14 - 16 * (foot.length - 1 - i)}" ${FONT} fill="#444">${escapeXml(line)}</text>`));
  return svgDocument(width, height, body);
}

/** The same results as a Markdown table, with ours / PyTorch where both were measured. */
export function chartMarkdown(chart: BarChart): string {
  const [ours, theirs] = chart.series;
  const ratio = chart.ratio !== false && theirs !== undefined && chart.cases.some((c) => c.values[ours!] !== undefined && c.values[theirs] !== undefined);
  const floor = chart.cases.some((c) => c.floor !== undefined);
  const header = ['case', ...chart.series.map((s) => `${s} (${chart.unit})`), ...(ratio ? [`${ours} / ${theirs}`] : []), ...(floor ? [`floor (${chart.unit})`] : [])];
  const cell = (value: number | undefined) => (value === undefined ? '' : formatValue(value));
  const rows = chart.cases.map((c) => {
    const mine = c.values[ours!];
    const other = theirs === undefined ? undefined : c.values[theirs];
    return [c.label, ...chart.series.map((s) => cell(c.values[s])),
      ...(ratio ? [mine !== undefined && other !== undefined ? (mine / other).toFixed(2) : ''] : []), ...(floor ? [cell(c.floor)] : [])];
  });
  const line = (cells: string[]) => `| ${cells.map((text) => text.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [`### ${chart.title}`, '', line(header), line(header.map(() => '---')), ...rows.map(line), '', ...(chart.note ? [chart.note, ''] : [])].join('\n');
}

/** Where results go: $BENCH_RESULTS, or bench/results of the checkout (also when run from dist/). */
export function resultsDirectory(): string {
  if (process.env.BENCH_RESULTS) return process.env.BENCH_RESULTS;
  const here = dirname(fileURLToPath(import.meta.url));
  const bench = existsSync(join(here, 'chart.ts')) ? here : join(here, '..', '..', 'bench');
  return join(bench, 'results');
}

/** Writes `<name>.svg` and `<name>.md` into the results folder; returns their paths. */
export function writeChart(chart: BarChart, directory = resultsDirectory()): { svg: string; md: string } {
  mkdirSync(directory, { recursive: true });
  const svg = join(directory, `${chart.name}.svg`);
  const md = join(directory, `${chart.name}.md`);
  writeFileSync(svg, barChartSvg(chart));
  writeFileSync(md, chartMarkdown(chart));
  console.log(`chart: ${svg}, table: ${md}`);
  return { svg, md };
}

export interface LossCurveOptions {
  title?: string;
  /** A logarithmic loss axis, for losses that fall by decades (false). */
  log?: boolean;
}

/**
 * Loss curves as an SVG line chart: one polyline per series (a training phase), one point per
 * recorded step, the step on the x axis. A loss that is not finite (or not positive on a log
 * axis) is drawn at the top edge, so every step keeps its point.
 *
 * @example writeFileSync('loss.svg', lossCurveSvg({ pretrain: losses }, { log: true }))
 */
export function lossCurveSvg(series: Record<string, readonly number[]>, options: LossCurveOptions = {}): string {
  const { title = 'training loss', log = false } = options;
  const [width, height, left, right, top, bottom] = [640, 320, 72, 16, 48, 40];
  const shown = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const axis = (v: number) => (log ? Math.log10(v) : v);
  const values = Object.values(series).flatMap((losses) => losses.filter(shown).map(axis));
  const low = values.length === 0 ? 0 : Math.min(...values);
  const high = values.length === 0 ? 1 : Math.max(...values);
  const span = high > low ? high - low : 1;
  const steps = Math.max(1, ...Object.values(series).map((losses) => losses.length));
  const x = (i: number) => left + (steps > 1 ? (i / (steps - 1)) * (width - left - right) : 0);
  const y = (v: number) => (shown(v) ? top + (1 - (axis(v) - low) / span) * (height - top - bottom) : top);
  const tick = (v: number) => formatValue(log ? 10 ** v : v);
  const body = [
    `<text x="10" y="20" ${TITLE_FONT}>${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#888"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#888"/>`,
    `<text x="${left - 6}" y="${top + 4}" ${FONT} text-anchor="end">${tick(high)}</text>`,
    `<text x="${left - 6}" y="${height - bottom}" ${FONT} text-anchor="end">${tick(low)}</text>`,
    `<text x="${left}" y="${height - bottom + 16}" ${FONT}>1</text>`,
    `<text x="${width - right}" y="${height - bottom + 16}" ${FONT} text-anchor="end">${steps}</text>`,
    `<text x="${(left + width - right) / 2}" y="${height - 8}" ${FONT} text-anchor="middle">step${log ? ' (loss on a log scale)' : ''}</text>`,
  ];
  Object.entries(series).forEach(([name, losses], s) => {
    const color = COLORS[s % COLORS.length];
    body.push(`<rect x="${left + s * 160}" y="28" width="10" height="10" fill="${color}"/>`,
      `<text x="${left + s * 160 + 14}" y="37" ${FONT}>${escapeXml(name)}</text>`,
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${losses.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
  });
  return svgDocument(width, height, body);
}

/**
 * A curve in one line of block characters, `width` wide at most (each a mean over its steps),
 * on a log scale with `log`. @example console.log(sparkline(losses, { log: true }))
 */
export function sparkline(values: readonly number[], { width = 60, log = false } = {}): string {
  const blocks = '▁▂▃▄▅▆▇█';
  const buckets = Math.min(width, values.length);
  const means = Array.from({ length: buckets }, (_, b) => {
    const part = values.slice(Math.floor((b * values.length) / buckets), Math.floor(((b + 1) * values.length) / buckets));
    const mean = part.reduce((sum, v) => sum + v, 0) / part.length;
    return log ? Math.log10(mean) : mean;
  });
  const finite = means.filter(Number.isFinite);
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  return means.map((m) => (Number.isFinite(m) ? blocks[high > low ? Math.round(((m - low) / (high - low)) * 7) : 0] : '?')).join('');
}
