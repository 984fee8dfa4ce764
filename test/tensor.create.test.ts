import { describe, expect, it } from 'vitest';
import { torch_manual_seed, torch_randn, torch_zeros } from '../src/index.js';

describe('creation', () => {
  it('torch_manual_seed gives PyTorch\'s stream (value from shared NOTES, Python 1.13.1)', () => {
    torch_manual_seed(1);
    expect(torch_randn(3, 4).sum().item()).toBe(-2.689052104949951);
  });
  it('torch_zeros has the shape asked for', () => {
    expect(torch_zeros(2, 3).shape).toEqual([2, 3]);
  });
});
