"""Symmetries of 2D incompressible Navier-Stokes with a buoyant scalar, on coordinate channels.

    v_t + (v . grad) v = -grad p + nu lap v + b s g,      div v = 0,      s_t + v . grad s = 0

(``g`` the unit direction of buoyancy, ``b`` its strength, ``s`` the smoke). A closed box is
not invariant under translations, rotations or boosts of space, but the pair (data, box) is:
so rather than resample fields on a fixed grid, the transforms move the coordinates of every
value, carried as channels ``coords`` of shape ``(batch, time, 2, y, x)``, and transform the
values (velocity vectors, the force direction, parameters) as the group prescribes. The box,
its walls and gravity travel with the sample, which is again a solution of its own problem.

- translation ``x -> x + a``;
- rotation ``x -> R x``, ``v -> R v``, ``g -> R g``;
- Galilean boost ``x -> x + c t``, ``v -> v + c`` (walls then move with velocity ``c``);
- scaling ``x -> l x``, ``t -> l^2 t``, ``v -> v / l``, ``s -> s / l^3`` (``nu`` and ``b`` fixed).

These are the exponentials of generators derived from the equations (:mod:`symmetries.flow_algebra`):
:class:`FlowAugmentation` checks each against the algebra of its system and refuses a group the
algebra lacks (rotation for ``ns2d-buoyancy``: gravity breaks it), with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from .flow_algebra import check_against_derived, flow_generators
from .randomness import per_sample


@dataclass
class FlowTrajectories:
    """A batch of 2D flow windows with their coordinates.

    velocity: ``(batch, time, 2, y, x)`` cell-centred ``(vx, vy)``.
    scalars: name -> ``(batch, time, y, x)`` transported scalars (e.g. ``smoke``).
    coords: ``(batch, time, 2, y, x)`` physical ``(x, y)`` of each value.
    times: ``(batch, time)``.
    gravity: ``(batch, 2)`` unit direction of the buoyancy force.
    params: name -> ``(batch,)``, e.g. ``buoyancy``, ``nu``.
    """

    velocity: torch.Tensor
    scalars: dict[str, torch.Tensor]
    coords: torch.Tensor
    times: torch.Tensor
    gravity: torch.Tensor
    params: dict[str, torch.Tensor] = field(default_factory=dict)

    @classmethod
    def on_grid(
        cls,
        velocity: torch.Tensor,
        scalars: dict[str, torch.Tensor],
        x: torch.Tensor,
        y: torch.Tensor,
        times: torch.Tensor,
        params: dict[str, torch.Tensor] | None = None,
    ) -> "FlowTrajectories":
        """From fields on one uniform grid: ``x`` ``(nx,)``, ``y`` ``(ny,)`` cell centres, ``times`` ``(nt,)``."""
        batch, nt = velocity.shape[:2]
        yy, xx = torch.meshgrid(y.to(velocity), x.to(velocity), indexing="ij")
        coords = torch.stack([xx, yy])[None, None].expand(batch, nt, -1, -1, -1).clone()
        gravity = torch.tensor([0.0, 1.0], dtype=velocity.dtype, device=velocity.device).expand(batch, 2).clone()
        t = times.to(velocity)[None].expand(batch, -1).clone()
        return cls(velocity, scalars, coords, t, gravity, dict(params or {}))


def _rotation(theta: torch.Tensor) -> torch.Tensor:
    """``(batch, 2, 2)`` rotation matrices."""
    c, s = torch.cos(theta), torch.sin(theta)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def translate(data: FlowTrajectories, shift: torch.Tensor) -> FlowTrajectories:
    """``x -> x + shift``; shift: ``(batch, 2)``."""
    return replace(data, coords=data.coords + shift.to(data.coords)[:, None, :, None, None])


def rotate(data: FlowTrajectories, theta: torch.Tensor) -> FlowTrajectories:
    """``x -> R x``, ``v -> R v``, ``g -> R g``; theta: ``(batch,)`` radians."""
    R = _rotation(theta.to(data.coords))

    def turn(field):
        return torch.einsum("bij,btjyx->btiyx", R, field)

    gravity = torch.einsum("bij,bj->bi", R, data.gravity)
    return replace(data, coords=turn(data.coords), velocity=turn(data.velocity), gravity=gravity)


def boost(data: FlowTrajectories, velocity: torch.Tensor) -> FlowTrajectories:
    """``x -> x + c t``, ``v -> v + c``; velocity ``c``: ``(batch, 2)``."""
    c = velocity.to(data.coords)[:, None, :, None, None]
    return replace(data, coords=data.coords + c * data.times[:, :, None, None, None], velocity=data.velocity + c)


def scale(data: FlowTrajectories, log_scale: torch.Tensor) -> FlowTrajectories:
    """``x -> l x``, ``t -> l^2 t``, ``v -> v / l``, ``smoke -> smoke / l^3`` with ``l = exp(log_scale)``.

    The buoyancy ``b`` stays (a label does not change under a symmetry of its own equations): the
    force ``b s`` scales as ``v_t``, ``l^-3``, through the smoke. Other scalars keep their values.
    """
    lam = torch.exp(log_scale.to(data.coords))
    scalars = dict(data.scalars)
    if "smoke" in scalars:
        scalars["smoke"] = scalars["smoke"] / lam[:, None, None, None] ** 3
    return replace(
        data,
        coords=data.coords * lam[:, None, None, None, None],
        times=data.times * lam[:, None] ** 2,
        velocity=data.velocity / lam[:, None, None, None, None],
        scalars=scalars,
    )


FLOW_GROUPS = {"translation": translate, "rotation": rotate, "galilean_boost": boost, "scaling": scale}
CHECK_ARGUMENTS = {  # group parameters at which each map is compared with the derived exponential
    "translation": torch.tensor([[0.3, -1.2], [2.0, 0.5]], dtype=torch.float64),
    "rotation": torch.tensor([0.4, -2.5], dtype=torch.float64),
    "galilean_boost": torch.tensor([[0.3, -0.2], [-1.0, 0.7]], dtype=torch.float64),
    "scaling": torch.tensor([0.3, -0.5], dtype=torch.float64),
}


def vorticity_residual(data: FlowTrajectories, nu: float | torch.Tensor) -> torch.Tensor:
    """``||w_t + v . grad w - nu lap w - b (g x grad s)|| / ||w_t||`` per sample, ``(batch,)``.

    Derivatives by second-order differences in index space, mapped to physical space with the
    Jacobian of the (affine) coordinate channels, so rotated and scaled grids are handled;
    the time derivative follows each value (``d/dt`` at fixed index), hence the ``-x_t . grad``
    correction for moving coordinates. Interior points and frames only.
    """
    X = data.coords
    v = data.velocity

    # index-space derivatives (central, interior)
    def d_i(f):  # along x-index
        return (f[..., 1:-1, 2:] - f[..., 1:-1, :-2]) / 2

    def d_j(f):  # along y-index
        return (f[..., 2:, 1:-1] - f[..., :-2, 1:-1]) / 2

    jac = torch.stack([d_i(X), d_j(X)], dim=-1)  # (b, t, 2 [phys], y, x, 2 [index])
    inv = torch.linalg.inv(jac.permute(0, 1, 3, 4, 2, 5))  # (b, t, y, x, index, phys)

    def grad(f):  # f (b, t, y, x) -> (b, t, y', x', 2 phys)
        g_idx = torch.stack([d_i(f), d_j(f)], dim=-1)
        return torch.einsum("btyxi,btyxip->btyxp", g_idx, inv)

    def interior(f):
        return f[..., 1:-1, 1:-1]

    vx, vy = v[:, :, 0], v[:, :, 1]
    w = grad(vy)[..., 0] - grad(vx)[..., 1]  # vorticity on the interior

    def pad(f):
        return torch.nn.functional.pad(f, (1, 1, 1, 1), mode="replicate")

    gw = grad(pad(w))
    lap = grad(pad(gw[..., 0]))[..., 0] + grad(pad(gw[..., 1]))[..., 1]
    dt = (data.times[:, 2:] - data.times[:, :-2])[:, :, None, None]
    w_t = (w[:, 2:] - w[:, :-2]) / dt
    x_t = (X[:, 2:] - X[:, :-2]) / dt[:, :, None]  # coordinate velocity (boosts)
    mid = slice(1, -1)
    vel = torch.stack([interior(vx), interior(vy)], dim=-1)[:, mid] - interior(x_t).permute(0, 1, 3, 4, 2)
    advect = (vel * gw[:, mid]).sum(-1)
    if torch.is_tensor(nu):
        nu = nu.to(w).reshape(-1, 1, 1, 1)
    force = 0.0
    if "smoke" in data.scalars and "buoyancy" in data.params:  # only the smoke is buoyant
        gs = grad(data.scalars["smoke"])[:, mid]
        g = data.gravity[:, None, None, None, :]
        cross = g[..., 0] * gs[..., 1] - g[..., 1] * gs[..., 0]  # curl of (b s g) = b (g x grad s)
        force = -data.params["buoyancy"].to(w)[:, None, None, None] * cross
    residual = w_t + advect - nu * lap[:, mid] - force
    trim = (slice(None), slice(None), slice(2, -2), slice(2, -2))  # away from the one-sided laplacian edges
    return residual[trim].flatten(1).norm(dim=1) / w_t[trim].flatten(1).norm(dim=1).clamp_min(1e-300)


def verify_group(group: str, system: str, transform=None) -> None:
    """Check the map ``transform`` (default: ``FLOW_GROUPS[group]``) against the derived algebra of ``system``.

    Applied to a few random values at :data:`CHECK_ARGUMENTS`, it must agree with the exact
    exponential of the derived generators (:func:`~symmetries.flow_algebra.check_against_derived`).
    """
    gen = torch.Generator().manual_seed(0)
    arguments = CHECK_ARGUMENTS[group]
    b = arguments.shape[0]
    grid = torch.tensor([0.5, 1.5, 2.5], dtype=torch.float64)
    data = FlowTrajectories.on_grid(
        torch.randn(b, 2, 2, 3, 3, generator=gen, dtype=torch.float64),
        {"smoke": torch.rand(b, 2, 3, 3, generator=gen, dtype=torch.float64)},
        grid,
        grid + 1,
        torch.tensor([0.25, 0.75]),
    )
    check_against_derived(group, system, arguments, data, (transform or FLOW_GROUPS[group])(data, arguments))


@dataclass
class FlowAugmentation:
    """Random flow symmetries per sample, composed in the configured order.

    ``strengths[g] = s``: translation and boost components ``~ U(-s, s)``, rotation angle
    ``~ U(-s, s)`` radians, log-scale ``~ U(-s, s)``; drawn from ``(seed, sample id)`` only.
    ``system``: the equations the data solves (``ns2d-buoyancy`` for smoke, ``ns2d``); each group
    must be in its derived algebra and agree with the exponentiated generators, or is refused.
    """

    strengths: dict[str, float]
    system: str = "ns2d-buoyancy"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.strengths) - set(FLOW_GROUPS))
        if unknown:
            raise ValueError(f"unknown flow group(s) {unknown}; available: {sorted(FLOW_GROUPS)}")
        derived = flow_generators(self.system)
        for name in self.strengths:
            if isinstance(derived[name], str):
                raise ValueError(f"flow group {name!r} refused: {derived[name]}")
            verify_group(name, self.system)

    def __call__(self, data: FlowTrajectories, seed: int, ids: torch.Tensor) -> FlowTrajectories:
        for stream, (name, s) in enumerate(self.strengths.items()):
            draws = ((2 * per_sample(seed, ids, stream, 2) - 1) * s).to(data.coords)
            arg = draws if name in ("translation", "galilean_boost") else draws[:, 0]
            data = FLOW_GROUPS[name](data, arg)
        return data
