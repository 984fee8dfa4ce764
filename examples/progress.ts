// A one-line progress bar on stderr for the examples: epoch, step and the batch loss.
// It draws only on a terminal; logs and CI get the printed lines alone.
import type { Tensor } from '../src/index.js';

/** R's `cat()` of a double: 7 significant digits, trailing zeros dropped. */
export function formatR(value: number): string {
  return String(Number(value.toPrecision(7)));
}

export class Progress {
  private readonly draw = process.stderr.isTTY === true;
  private lastDraw = 0;
  private readonly started = performance.now();

  constructor(private readonly epochs: number, private readonly unit = 'epoch') {}

  /** Called each step; reads a tensor loss (a device sync) only when it redraws. */
  tick(epoch: number, loss: Tensor | number): void {
    if (!this.draw) return;
    const now = performance.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round(((epoch - 1) / this.epochs) * width);
    const elapsed = ((now - this.started) / 1000).toFixed(0);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    process.stderr.write(`\r[${bar}] ${this.unit} ${epoch}/${this.epochs}  batch loss ${formatR(typeof loss === 'number' ? loss : loss.item() as number)}  ${elapsed}s `);
  }

  /** Prints a line above the bar. */
  log(line: string): void {
    if (this.draw) process.stderr.write('\r\x1b[K');
    console.log(line);
  }

  done(): void {
    if (this.draw) process.stderr.write('\r\x1b[K');
  }
}
