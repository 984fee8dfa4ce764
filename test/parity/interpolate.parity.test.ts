// Parity of nnf_interpolate (src/nn/interpolate.ts) with Python PyTorch's F.interpolate: every
// mode, size and scale_factor, align_corners, recompute_scale_factor and antialias, values and
// gradients. Twins: the @case of the same name in cases_interpolate.py.
import { nnf_interpolate, torch_randn, type Tensor } from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);

const cases: ParityCase[] = [
  { name: 'interpolate.1d', inputs: () => ({ x: randn(2, 3, 5) }), grad: ['x'], run: ({ x }) => ({
    nearest: nnf_interpolate(x!, { scale_factor: 2 }), nearest_size: nnf_interpolate(x!, { size: 7 }),
    exact: nnf_interpolate(x!, { size: [8], mode: 'nearest-exact' }), linear: nnf_interpolate(x!, { scale_factor: 1.7, mode: 'linear' }),
    aligned: nnf_interpolate(x!, { size: 9, mode: 'linear', align_corners: true }), area: nnf_interpolate(x!, { size: 3, mode: 'area' }),
    area_scale: nnf_interpolate(x!, { scale_factor: 0.5, mode: 'area' }),
  }) },
  { name: 'interpolate.2d', inputs: () => ({ x: randn(2, 2, 6, 5) }), grad: ['x'], run: ({ x }) => ({
    nearest: nnf_interpolate(x!, { scale_factor: [2, 1.5] }), bilinear: nnf_interpolate(x!, { size: [9, 4], mode: 'bilinear' }),
    aligned: nnf_interpolate(x!, { scale_factor: 1.3, mode: 'bilinear', align_corners: true }),
    recompute: nnf_interpolate(x!, { scale_factor: 1.3, mode: 'bilinear', recompute_scale_factor: true }),
    bicubic: nnf_interpolate(x!, { size: [8, 8], mode: 'bicubic' }), bicubic_aligned: nnf_interpolate(x!, { scale_factor: 2, mode: 'bicubic', align_corners: true }),
    antialias: nnf_interpolate(x!, { size: [3, 2], mode: 'bilinear', antialias: true }), bicubic_aa: nnf_interpolate(x!, { size: [4, 3], mode: 'bicubic', antialias: true }),
    area: nnf_interpolate(x!, { size: [4, 3], mode: 'area' }), exact: nnf_interpolate(x!, { scale_factor: 0.7, mode: 'nearest-exact' }),
  }) },
  { name: 'interpolate.3d', inputs: () => ({ x: randn(1, 2, 3, 4, 3) }), grad: ['x'], run: ({ x }) => ({
    nearest: nnf_interpolate(x!, { size: [5, 5, 4] }), trilinear: nnf_interpolate(x!, { scale_factor: 1.5, mode: 'trilinear' }),
    aligned: nnf_interpolate(x!, { size: 6, mode: 'trilinear', align_corners: true }), area: nnf_interpolate(x!, { size: [2, 2, 2], mode: 'area' }),
  }) },
];

parity_suite('nnf_interpolate parity with PyTorch', cases);
