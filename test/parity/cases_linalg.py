"""Python twins of the cases in linalg.parity.test.ts (torch.linalg, through the op table)."""
import math

import torch

from reference import case


def spd(s):
    return s @ s.T + 4 * torch.eye(s.shape[0])


@case("linalg.inverse_solve_det")
def linalg_inverse_solve_det(a, b, v, batch):
    sign, logabsdet = torch.linalg.slogdet(a)
    batch_sign, batch_logabsdet = torch.linalg.slogdet(batch)
    return {"inv": torch.linalg.inv(a), "inv_batch": torch.linalg.inv(batch), "solve": torch.linalg.solve(a, b), "solve_vector": torch.linalg.solve(a, v),
            "solve_right": torch.linalg.solve(a, b.T, left=False), "det": torch.linalg.det(a), "det_batch": torch.linalg.det(batch),
            "sign": sign, "logabsdet": logabsdet, "batch_sign": batch_sign, "batch_logabsdet": batch_logabsdet}


@case("linalg.decompositions")
def linalg_decompositions(a, s):
    u, sv, vh = torch.linalg.svd(a, full_matrices=False)
    u_full, sv_full, vh_full = torch.linalg.svd(a)
    q, r = torch.linalg.qr(a)
    q_complete, r_complete = torch.linalg.qr(a.detach(), mode="complete")
    q_none, r_only = torch.linalg.qr(a.detach(), mode="r")
    values, vectors = torch.linalg.eigh(s + s.T)
    values_upper, vectors_upper = torch.linalg.eigh(s + s.T, UPLO="U")
    return {"U": u, "S": sv, "Vh": vh, "U_full": u_full, "S_full": sv_full, "Vh_full": vh_full, "Q": q, "R": r,
            "Q_complete": q_complete, "R_complete": r_complete, "Q_none": q_none, "R_only": r_only,
            "cholesky": torch.linalg.cholesky(spd(s)), "cholesky_upper": torch.linalg.cholesky(spd(s), upper=True),
            "eigenvalues": values, "eigenvectors": vectors, "eigenvalues_upper": values_upper, "eigenvectors_upper": vectors_upper}


@case("linalg.norms")
def linalg_norms(x, batch):
    return {"norm": torch.linalg.norm(x), "norm_fro": torch.linalg.norm(x, "fro"), "norm_nuc": torch.linalg.norm(x, "nuc"),
            "norm_dim": torch.linalg.norm(x, 1, -1), "norm_inf": torch.linalg.norm(x, math.inf), "norm_keep": torch.linalg.norm(x, 3, 0, True, dtype=torch.float64),
            "vector": torch.linalg.vector_norm(x, 3.5), "vector_dims": torch.linalg.vector_norm(x, 1, [0, 1], True), "vector_zero": torch.linalg.vector_norm(x, 0, 1),
            "vector_named": torch.linalg.vector_norm(x, ord=-math.inf, dim=0),
            "matrix": torch.linalg.matrix_norm(batch), "matrix_nuc": torch.linalg.matrix_norm(batch, "nuc"), "matrix_neg1": torch.linalg.matrix_norm(batch, -1),
            "matrix_two": torch.linalg.matrix_norm(batch, 2, dim=(0, 2)), "matrix_keep": torch.linalg.matrix_norm(batch, math.inf, keepdim=True)}


@case("linalg.pinv_lstsq")
def linalg_pinv_lstsq(a, b, s):
    gelsd = torch.linalg.lstsq(a, b, driver="gelsd")
    rcond = torch.linalg.lstsq(a, b, 0.5, driver="gelss")
    return {"pinv": torch.linalg.pinv(a), "pinv_rtol": torch.linalg.pinv(a, rtol=0.6), "pinv_atol": torch.linalg.pinv(a, atol=1.0),
            "pinv_r_default": torch.linalg.pinv(a, atol=0.0, rtol=0.0),  # R torch's linalg_pinv(A): scalar_or_zero(NULL) for both
            "pinv_hermitian": torch.linalg.pinv(s + s.T, hermitian=True),
            "gelsd_solution": gelsd.solution, "gelsd_residuals": gelsd.residuals, "gelsd_rank": gelsd.rank, "gelsd_singular_values": gelsd.singular_values,
            "rcond_solution": rcond.solution, "rcond_rank": rcond.rank}


@case("linalg.lstsq_gelsy")
def linalg_lstsq_gelsy(a, b):
    solution, residuals, rank, singular_values = torch.linalg.lstsq(a, b)
    return {"solution": solution, "residuals": residuals, "rank": rank, "singular_values": singular_values}
