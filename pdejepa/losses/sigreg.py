"""SIGReg: Sketched Isotropic Gaussian Regularisation (Balestriero & LeCun, "LeJEPA", 2025, sec. 4), the
anti-collapse term of LeJEPA and of the LeWorldModel JEPA world model.

Embeddings ``z`` ``(N, D)`` are projected on ``M`` random unit directions ``a_m``; each projection's empirical
characteristic function is compared with the standard normal's by the Epps-Pulley statistic

    EP(x) = N * int w(t) |phi_N(t) - exp(-t^2 / 2)|^2 dt,   phi_N(t) = (1/N) sum_n exp(i t x_n),
    w(t) = exp(-t^2 / 2),

integrated over ``t`` in ``[-t_max, t_max]`` by the trapezoidal rule on ``knots`` points of ``[0, t_max]`` (the
integrand is even in ``t``), and ``SIGReg(z) = mean_m EP(z a_m)``. It is zero in expectation only when every
one-dimensional projection is a standard normal, so it pushes the embeddings towards an isotropic Gaussian: no
collapse, no redundant dimensions. Under ``torch.distributed`` the characteristic functions are averaged over
the samples of every process (their sums summed with gradients), so ``N`` processes of ``b`` samples compute the
statistic of one process on ``N * b``.
"""

from __future__ import annotations

import torch

from ..distributed import all_sum

T_MAX = 3.0
KNOTS = 17


def quadrature(
    t_max: float = T_MAX, knots: int = KNOTS, dtype: torch.dtype = torch.float64
) -> tuple[torch.Tensor, ...]:
    """``(t, weights)`` ``(knots,)``: the trapezoidal rule on ``[0, t_max]`` doubled for ``[-t_max, t_max]``,
    times the window ``w(t) = exp(-t^2 / 2)``."""
    if knots < 2 or not t_max > 0:
        raise ValueError(f"the quadrature needs knots >= 2 and t_max > 0, got {knots} and {t_max}")
    t = torch.linspace(0, t_max, knots, dtype=dtype)
    step = t_max / (knots - 1)
    weights = torch.full((knots,), 2 * step, dtype=dtype)
    weights[[0, -1]] = step
    return t, weights * torch.exp(-t.square() / 2)


def epps_pulley(x: torch.Tensor, t_max: float = T_MAX, knots: int = KNOTS) -> torch.Tensor:
    """The Epps-Pulley statistic of each column of ``x`` ``(N, M)`` against the standard normal: ``(M,)``."""
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"epps_pulley needs samples (N >= 2, slices), got shape {tuple(x.shape)}")
    t, weights = quadrature(t_max, knots, x.dtype)
    t, weights = t.to(x.device), weights.to(x.device)
    xt = x[..., None] * t  # (N, M, knots)
    count = all_sum(torch.tensor(float(len(x)), dtype=x.dtype, device=x.device))
    cos_mean = all_sum(torch.cos(xt).sum(0)) / count
    sin_mean = all_sum(torch.sin(xt).sum(0)) / count
    error = (cos_mean - torch.exp(-t.square() / 2)).square() + sin_mean.square()
    return (error @ weights) * count


def random_directions(dim: int, slices: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """``(dim, slices)`` unit vectors, Gaussian directions drawn on the CPU from ``generator`` (the same on every
    device and process for the same seed)."""
    a = torch.randn(dim, slices, generator=generator, dtype=torch.float64)
    return (a / a.norm(dim=0, keepdim=True)).to(device)


def sigreg(z: torch.Tensor, directions: torch.Tensor, t_max: float = T_MAX, knots: int = KNOTS) -> torch.Tensor:
    """SIGReg of embeddings ``z`` ``(N, D)`` along ``directions`` ``(D, M)``: the mean Epps-Pulley statistic of the
    ``M`` projections (a scalar)."""
    if z.ndim != 2 or directions.shape[0] != z.shape[1]:
        raise ValueError(
            f"sigreg needs z (N, D) and directions (D, M), got {tuple(z.shape)}, {tuple(directions.shape)}"
        )
    return epps_pulley(z @ directions.to(z.dtype), t_max, knots).mean()
