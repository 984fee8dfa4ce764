// Parity of complex tensors (complex64 = cfloat, complex128 = cdouble) with Python PyTorch:
// made from parts, their parts, absolute values, angles, conjugates and products. Results are
// compared as torch_view_as_real pairs. The Python twin is cases_complex.py.
import { torch_complex, torch_polar, torch_randn, torch_stack, torch_view_as_complex, torch_view_as_real } from '../../src/index.js';
import { parity_suite } from './harness.js';

parity_suite('complex tensors: parity with PyTorch', [
  { name: 'complex.ops', inputs: () => ({ a: torch_randn(7), b: torch_randn(7) }), run: ({ a, b }) => {
    const z = torch_complex(a!, b!);
    const w = torch_complex(b!, a!.double().float());
    return {
      z: torch_view_as_real(z), abs: z.abs(), angle: z.angle(), real: z.real.clone(), imag: z.imag.clone(),
      conj: torch_view_as_real(z.conj().resolve_conj()), conj_physical: torch_view_as_real(z.conj_physical()),
      mul: torch_view_as_real(z.mul(w)), polar: torch_view_as_real(torch_polar(a!.abs(), b!)),
      roundtrip: torch_view_as_real(torch_view_as_complex(torch_stack([a!, b!], -1))),
      double: torch_view_as_real(torch_complex(a!.double(), b!.double()).mul(2)), from_real: torch_view_as_real(a!.to('cfloat')),
    };
  } },
]);
