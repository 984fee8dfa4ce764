// `nnf_interpolate`, R torch's and torch.nn.functional's resizing of (N x C x) spatial inputs:
// the same checks and the same choice of libtorch operator (upsample_nearest*, upsample_linear1d,
// upsample_bilinear2d, upsample_bicubic2d, upsample_trilinear3d, adaptive_avg_pool*) as
// torch.nn.functional.interpolate, so results are PyTorch's bit for bit.
import { atenOp, type TensorOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkNumber, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { positionalOptions, type Positional } from './options.js';

/** How `nnf_interpolate` fills new positions. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

export interface InterpolateOptions {
  /** The output's spatial size (one number for every dimension, or one each); or give `scale_factor`. */
  size?: number | number[] | null;
  /** The multiplier of each spatial size (one, or one each); or give `size`. */
  scale_factor?: number | number[] | null;
  /** "nearest" (the default), "nearest-exact", "linear" (3-d input), "bilinear" or "bicubic" (4-d), "trilinear" (5-d), "area". */
  mode?: InterpolateMode;
  /** For the linear and cubic modes: align the corner pixels' centres (false); not for the others. */
  align_corners?: boolean | null;
  /** Compute the output size from `scale_factor` and interpolate to it (with the scale it implies). */
  recompute_scale_factor?: boolean | null;
  /** Anti-aliasing when downsampling, for "bilinear" and "bicubic" (false). */
  antialias?: boolean;
}
const INTERPOLATE_KEYS = optionKeys<InterpolateOptions>({
  size: true, scale_factor: true, mode: true, align_corners: true, recompute_scale_factor: true, antialias: true,
});

const NEAREST: Record<number, TensorOp> = { 1: atenOp('upsample_nearest1d', 'vec'), 2: atenOp('upsample_nearest2d', 'vec'), 3: atenOp('upsample_nearest3d', 'vec') };
const NEAREST_EXACT: Record<number, TensorOp> = {
  1: atenOp('_upsample_nearest_exact1d', 'vec'), 2: atenOp('_upsample_nearest_exact2d', 'vec'), 3: atenOp('_upsample_nearest_exact3d', 'vec'),
};
const AREA: Record<number, TensorOp> = { 1: atenOp('adaptive_avg_pool1d'), 2: atenOp('adaptive_avg_pool2d'), 3: atenOp('adaptive_avg_pool3d') };
// The modes with align_corners, by the spatial dimensions they take.
const ALIGNED: Record<string, [number, TensorOp, TensorOp | null]> = {
  linear: [1, atenOp('upsample_linear1d', 'vec'), null],
  bilinear: [2, atenOp('upsample_bilinear2d', 'vec'), atenOp('_upsample_bilinear2d_aa', 'vec')],
  bicubic: [2, atenOp('upsample_bicubic2d', 'vec'), atenOp('_upsample_bicubic2d_aa', 'vec')],
  trilinear: [3, atenOp('upsample_trilinear3d', 'vec'), null],
};
const MODES = ['nearest', 'nearest-exact', 'area', ...Object.keys(ALIGNED)];

function perDimension(value: number | number[], dims: number, name: string, check: (v: unknown, n: string) => number): number[] {
  if (Array.isArray(value)) {
    if (value.length !== dims) failRange(`${dims} values (one per spatial dimension of the input)`, name, value);
    return value.map((v, i) => check(v, `${name}[${i}]`));
  }
  return new Array<number>(dims).fill(check(value, name));
}

/**
 * Resizes the spatial dimensions of `input` ((N x) C x L, x H x W, or x D x H x W: the
 * dimensions after the first two) to `size`, or by `scale_factor`, as torch.nn.functional's
 * `interpolate`.
 *
 * @example
 * nnf_interpolate(images, { scale_factor: 2, mode: 'bilinear' });
 * nnf_interpolate(images, null, 2, 'bilinear');          // R's and PyTorch's positional order
 * nnf_interpolate(images, { size: [32, 32], mode: 'bicubic', align_corners: true });
 */
export function nnf_interpolate(input: Tensor, ...args: Positional<[
  size: number | number[] | null, scale_factor: number | number[] | null, mode: InterpolateMode, align_corners: boolean | null, recompute_scale_factor: boolean | null, antialias: boolean,
], InterpolateOptions>): Tensor {
  const options = positionalOptions<InterpolateOptions>(args, ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor', 'antialias'], INTERPOLATE_KEYS, 'nnf_interpolate');
  const { size = null, scale_factor = null, mode = 'nearest', align_corners = null, recompute_scale_factor = null, antialias = false } = options;
  checkTensor(input, 'input');
  if (!MODES.includes(mode)) fail(MODES.map((m) => `"${m}"`).join(', ').replace(/, ([^,]*)$/, ' or $1'), 'mode', mode);
  const dims = input.dim() - 2;
  if (dims < 1 || dims > 3) failRange('a 3-d, 4-d or 5-d tensor (N x C x spatial sizes)', 'input', `a ${input.dim()}-d tensor`);
  const aligned = ALIGNED[mode];
  if (aligned === undefined && align_corners !== null) fail(`no align_corners with mode "${mode}" (only the linear and cubic modes take it)`, 'align_corners', align_corners);
  const corners = align_corners === null ? false : checkBoolean(align_corners, 'align_corners');
  if (checkBoolean(antialias, 'antialias') && mode !== 'bilinear' && mode !== 'bicubic') fail('no antialias but with mode "bilinear" or "bicubic"', 'antialias', antialias);
  if ((size === null) === (scale_factor === null)) fail('exactly one of size and scale_factor', 'options', options);
  let outputSize: number[] | null = size === null ? null : perDimension(size, dims, 'size', checkPositiveInteger);
  let scales: number[] | null = scale_factor === null ? null : perDimension(scale_factor, dims, 'scale_factor', checkNumber);
  let recompute = recompute_scale_factor === null ? null : checkBoolean(recompute_scale_factor, 'recompute_scale_factor');
  if (recompute === true && size !== null) fail('no recompute_scale_factor with size (only with scale_factor)', 'recompute_scale_factor', recompute_scale_factor);
  if (mode === 'area' && outputSize === null) recompute = true;
  if (recompute === true && scales !== null) {
    const given = scales;
    outputSize = given.map((scale, i) => Math.floor(input.size(i + 2) * scale));
    scales = null;
  }
  if (mode === 'nearest') return NEAREST[dims]!.call(input, outputSize, scales);
  if (mode === 'nearest-exact') return NEAREST_EXACT[dims]!.call(input, outputSize, scales);
  if (mode === 'area') return AREA[dims]!.call(input, outputSize);
  const [wanted, op, antialiased] = aligned!;
  if (dims !== wanted) failRange(`a ${wanted + 2}-d tensor for mode "${mode}"`, 'input', `a ${input.dim()}-d tensor`);
  return (antialias ? antialiased! : op).call(input, outputSize, corners, scales);
}
