// Complex numbers (complex64 = cfloat, complex128 = cdouble): made from parts, viewed as
// pairs of reals, and their parts. `x.real` and `x.imag` are Tensor getters (src/ops/tensor.ts).
import type { OpEntry } from './entry.js';

export default [
  { name: 'complex', schema: 'complex(Tensor real, Tensor imag) -> Tensor', variants: 'function', doc: 'The complex tensor `real + imag·i` (float32 parts give complex64, float64 parts complex128).', example: { function: 'torch_complex(torch_tensor([1, 2]), torch_tensor([3, 4]))' } },
  { name: 'polar', schema: 'polar(Tensor abs, Tensor angle) -> Tensor', variants: 'function', doc: 'The complex tensor `abs·(cos(angle) + sin(angle)·i)`.', example: { function: 'torch_polar(torch_ones(2), torch_tensor([0, Math.PI / 2]))' } },
  { name: 'view_as_real', schema: 'view_as_real(Tensor(a) self) -> Tensor(a)', variants: 'function', doc: 'A complex tensor as a real view with a last dimension of 2 (real, imaginary).', example: { function: 'torch_view_as_real(z)' } },
  { name: 'view_as_complex', schema: 'view_as_complex(Tensor(a) self) -> Tensor(a)', variants: 'function', doc: 'A float tensor whose last dimension is 2 (real, imaginary) as a complex view.', example: { function: 'torch_view_as_complex(torch_randn(3, 2))' } },
  { name: 'real', schema: 'real(Tensor(a) self) -> Tensor(a)', variants: 'function', doc: 'The real part (a view); a real tensor itself. The getter `x.real` is the method form.', example: { function: 'torch_real(z)' } },
  { name: 'imag', schema: 'imag(Tensor(a) self) -> Tensor(a)', variants: 'function', doc: 'The imaginary part of a complex tensor (a view). The getter `x.imag` is the method form.', example: { function: 'torch_imag(z)' } },
  { name: 'angle', schema: 'angle(Tensor self) -> Tensor', doc: 'The argument of each complex value, in radians (0 or π for real values, as PyTorch).', example: { function: 'torch_angle(z)', method: 'z.angle()' } },
  { name: 'conj', schema: 'conj(Tensor(a) self) -> Tensor(a)', doc: 'The complex conjugate (a view, as PyTorch; a real tensor itself).', example: { method: 'z.conj()' } },
  { name: 'conj_physical', schema: 'conj_physical(Tensor self) -> Tensor', doc: 'The complex conjugate, computed into new memory.', example: { method: 'z.conj_physical()' } },
  { name: 'resolve_conj', schema: 'resolve_conj(Tensor(a) self) -> Tensor(a)', doc: 'A pending conjugation (from `conj()`) applied: new memory, or this tensor when none is pending.', example: { method: 'z.conj().resolve_conj()' } },
  { name: 'is_complex', schema: 'is_complex(Tensor self) -> bool', doc: 'Whether the dtype is complex64 or complex128.', example: { method: 'z.is_complex()' } },
  { name: 'is_conj', schema: 'is_conj(Tensor self) -> bool', doc: 'Whether a conjugation is pending (`conj()` of a complex tensor).', example: { method: 'z.conj().is_conj() // true' } },
] satisfies OpEntry[];
