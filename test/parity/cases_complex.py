"""Python twins of the cases in complex.parity.test.ts. Complex results are returned as
view_as_real (pairs of reals), which the harness's files hold."""
import torch

from reference import case


@case("complex.ops")
def complex_ops(a, b):
    z = torch.complex(a, b)
    w = torch.complex(b, a.double().float())
    return {
        "z": torch.view_as_real(z), "abs": z.abs(), "angle": z.angle(), "real": z.real.clone(), "imag": z.imag.clone(),
        "conj": torch.view_as_real(z.conj().resolve_conj()), "conj_physical": torch.view_as_real(z.conj_physical()),
        "mul": torch.view_as_real(z * w), "polar": torch.view_as_real(torch.polar(a.abs(), b)),
        "roundtrip": torch.view_as_real(torch.view_as_complex(torch.stack([a, b], -1))),
        "double": torch.view_as_real(torch.complex(a.double(), b.double()) * 2), "from_real": torch.view_as_real(a.to(torch.cfloat)),
    }
