"""Symmetries of systems of PDEs: Navier-Stokes and the smoke system, derived from their equations.

Known algebra of 2D incompressible Navier-Stokes in velocity-pressure form (Bytev 1972;
Ibragimov's CRC handbook vol. 2, ch. 12): time translation, rotation, the scaling
``2t d_t + x d_x + y d_y - u d_u - v d_v - 2p d_p``, the generalized Galilean families
``f(t) d_x + f'(t) d_u - x f''(t) d_p`` (and in ``y``) and the pressure gauge ``h(t) d_p``.

The smoke system ``ns2d-buoyancy`` adds ``+ b s`` to the ``v`` equation and ``s_t + u s_x + v s_y = 0``.
Worked out by hand:

- time translation and both Galilean families survive: ``b s`` is unchanged by them and the
  transport of ``s`` is Galilean invariant with ``s`` a scalar (``s`` does not change);
- the gauge ``p -> p + h(t)`` survives (``p`` enters through its gradient only);
- rotation does not: it turns the force ``b s e_y`` away from ``e_y`` (gravity breaks it);
- the scaling survives with a weight for ``s``: under ``x -> l x, t -> l^2 t`` the terms of the
  ``v`` equation scale as ``l^-3``, so ``b s`` must too; ``b`` is fixed, so ``s -> l^-3 s``
  (the transport equation is linear and homogeneous in ``s``, so any weight is allowed there);
- the smoke adds one: ``s -> s + c`` changes the force by ``b c e_y``, a gradient, absorbed by
  ``p -> p + b c y``: ``d_s + b y d_p``. A shift ``s -> s + c(t)`` fails the transport equation
  unless ``c' = 0``, and ``s -> F(s)`` (a symmetry of the transport alone) must keep ``b s`` linear.

So 3 finite generators (``d_t``, ``d_s + b y d_p``, the scaling with ``-3 s d_s``) and the same 3 families.
"""

from __future__ import annotations

import json

import pytest
import sympy as sp

from pdejepa.cli import main
from symmetries.derive_system import characteristic_conditions, derive_system
from symmetries.errors import OutsideMethodError
from symmetries.registry import SYSTEMS
from symmetries.system_report import read_system_algebra, system_symmetries_of
from symmetries.systems import PDESystem, SolvedSystem

t, x, y, u, v, p, s = sp.symbols("t x y u v p s", real=True)
nu, b = sp.symbols("nu b")


def span_matches(derived: list[dict], expected: list[dict], variables: list[str]) -> bool:
    """Same span over the numbers (and parameters): ranks of derived, expected and both together agree."""

    def row(g):
        out = []
        for name in variables:
            poly = sp.Poly(sp.expand(g.get(name, 0)), t, x, y, u, v, p, s)
            out.append(poly)
        return out

    monomials = sorted({(i, m) for g in [*derived, *expected] for i, q in enumerate(row(g)) for m in q.monoms()})

    def matrix(gs):
        return sp.Matrix([[row(g)[i].coeff_monomial(m) for i, m in monomials] for g in gs])

    r = matrix(derived).rank(), matrix(expected).rank(), matrix([*derived, *expected]).rank()
    return r[0] == r[1] == r[2] == len(expected)


@pytest.fixture(scope="module")
def algebras():
    out = {}
    for name in ("ns2d", "ns2d-buoyancy"):
        text, independent, dependent = SYSTEMS[name]
        system = PDESystem.parse(text, independent, dependent)
        out[name] = (system, *read_system_algebra(system_symmetries_of(text, independent, dependent), system))
    return out


NS_FINITE = [
    {"t": 1},
    {"x": -y, "y": x, "u": -v, "v": u},
    {"t": 2 * t, "x": x, "y": y, "u": -u, "v": -v, "p": -2 * p},
]
SMOKE_FINITE = [
    {"t": 1},
    {"s": 1, "p": b * y},
    {"t": 2 * t, "x": x, "y": y, "u": -u, "v": -v, "p": -2 * p, "s": -3 * s},
]


@pytest.mark.parametrize("name,expected", [("ns2d", NS_FINITE), ("ns2d-buoyancy", SMOKE_FINITE)])
def test_finite_part_is_the_known_algebra(algebras, name, expected):
    system, generators, _ = algebras[name]
    variables = [w.name for w in system.variables]
    assert span_matches([c for _, c in generators], expected, variables), [str(c) for _, c in generators]
    names = [n for n, _ in generators]
    assert ("rotation_xy" in names) == (name == "ns2d")  # gravity breaks the rotation
    assert "translation_t" in names and "scaling" in names


@pytest.mark.parametrize("name", ["ns2d", "ns2d-buoyancy"])
def test_families_with_their_arbitrary_functions(algebras, name):
    system, _, families = algebras[name]
    by_name = {n: (c, fns) for n, c, fns in families}
    assert sorted(by_name) == ["galilean_x", "galilean_y", "gauge_p"]
    for axis, velocity in (("x", "u"), ("y", "v")):
        comps, (f,) = by_name[f"galilean_{axis}"]
        assert f.args == (t,)
        coordinate = {"x": x, "y": y}[axis]
        expected = {axis: f, velocity: sp.diff(f, t), "p": -coordinate * sp.diff(f, t, 2)}
        for var, c in comps.items():
            assert sp.simplify(c - expected.get(var, 0)) == 0, (axis, var, c)
    comps, (h,) = by_name["gauge_p"]
    assert h.args == (t,) and comps["p"] == h and all(c == 0 for var, c in comps.items() if var != "p")
    solved = SolvedSystem(system)  # each family, its function left arbitrary, satisfies the determining equations
    for _, comps, _ in families:
        assert all(sp.simplify(r) == 0 for r in characteristic_conditions(solved, comps))


def test_pressure_poisson_equation_is_found_as_the_integrability_condition():
    text, independent, dependent = SYSTEMS["ns2d-buoyancy"]
    solved = SolvedSystem(PDESystem.parse(text, independent, dependent))
    (condition,) = solved.conditions
    names = PDESystem.parse(text, independent, dependent).names_in("p_xx p_yy u_y v_x v_y s_y")
    poisson = names["p_xx"] + names["p_yy"] + 2 * names["u_y"] * names["v_x"] + 2 * names["v_y"] ** 2 - b * names["s_y"]
    assert sp.simplify(condition + poisson) == 0 or sp.simplify(condition - poisson) == 0


def _ns_residuals(fields: dict[str, sp.Expr], buoyant: bool) -> list[sp.Expr]:
    U, V, P = fields["u"], fields["v"], fields["p"]
    S = fields.get("s", 0)

    def d(f, *w):
        return sp.diff(f, *w)

    out = [
        d(U, t) + U * d(U, x) + V * d(U, y) + d(P, x) - nu * (d(U, x, 2) + d(U, y, 2)),
        d(V, t) + U * d(V, x) + V * d(V, y) + d(P, y) - nu * (d(V, x, 2) + d(V, y, 2)) - (b * S if buoyant else 0),
        d(U, x) + d(V, y),
    ]
    if buoyant:
        out.append(d(S, t) + U * d(S, x) + V * d(S, y))
    return out


def vanishes(residuals: list[sp.Expr]) -> bool:
    """Zero to 1e-10 at random points (``nu = 0.1``, ``b = 0.7``): exact for the identities checked here."""
    points = [{t: 0.3 * k, x: 1.1 - 0.7 * k, y: 0.4 + 0.9 * k, nu: 0.1, b: 0.7} for k in range(4)]
    return all(abs(complex(sp.N(r.subs(pt)))) < 1e-10 for r in residuals for pt in points)


def _image(components: dict[str, sp.Expr], fields: dict[str, sp.Expr], epsilon: sp.Rational) -> dict[str, sp.Expr]:
    """``fields`` mapped by ``exp(epsilon v)``, ``v`` affine with its ``t, x, y`` part free of the fields."""
    names = ["t", "x", "y", *fields]
    symbols = {"t": t, "x": x, "y": y, "u": u, "v": v, "p": p, "s": s}
    z = [symbols[n] for n in names]
    A = sp.Matrix([[sp.diff(components.get(n, 0), w) for w in z] for n in names])
    c = sp.Matrix([sp.expand(components.get(n, 0)).subs({w: 0 for w in z}) for n in names])
    M = sp.zeros(len(z) + 1)
    M[: len(z), : len(z)], M[: len(z), len(z)] = A, c
    E = (epsilon * M).exp()
    T, X, Y = sp.symbols("T X Y", real=True)  # the image point; invert the affine map of (t, x, y)
    new = E[:3, :3] * sp.Matrix([t, x, y]) + E[:3, len(z)]
    old = sp.solve([new[0] - T, new[1] - X, new[2] - Y], [t, x, y], dict=True)[0]
    values = {symbols[n]: f for n, f in fields.items()}
    out = {}
    for i, n in enumerate(names[3:], 3):
        image = (E[i, : len(z)] * sp.Matrix(z))[0] + E[i, len(z)]
        out[n] = image.subs(values).subs(old, simultaneous=True).subs({T: t, X: x, Y: y}, simultaneous=True)
    return out


def _taylor_green(smoke: sp.Expr | None = None) -> dict[str, sp.Expr]:
    decay = sp.exp(-2 * nu * t)
    fields = {
        "u": sp.sin(x) * sp.cos(y) * decay,
        "v": -sp.cos(x) * sp.sin(y) * decay,
        "p": (sp.cos(2 * x) + sp.cos(2 * y)) / 4 * decay**2,
    }
    if smoke is not None:  # uniform smoke: its force b*s0 is a gradient, balanced by the pressure
        fields["s"], fields["p"] = smoke, fields["p"] + b * smoke * y
    return fields


SOLUTIONS = {
    "ns2d": [_taylor_green()],
    "ns2d-buoyancy": [
        _taylor_green(sp.Rational(3, 2)),
        {"u": sp.Integer(0), "v": sp.Integer(0), "s": y**2 + 1, "p": b * (y**3 / 3 + y)},  # stratified rest
    ],
}


@pytest.mark.parametrize("name", ["ns2d", "ns2d-buoyancy"])
def test_every_finite_generator_maps_exact_solutions_to_solutions(algebras, name):
    _, generators, _ = algebras[name]
    for fields in SOLUTIONS[name]:
        assert vanishes(_ns_residuals(fields, name != "ns2d"))
        for gname, comps in generators:
            image = _image(comps, fields, sp.Rational(1, 3))
            assert vanishes(_ns_residuals(image, name != "ns2d")), gname


def test_galilean_family_with_a_chosen_function_maps_solutions(algebras):
    # exp(e (f d_x + f' d_u - x f'' d_p)): x -> x + e f, u -> u + e f', p -> p - e x f'' - e^2 f f''/2
    f, e = sp.sin(t), sp.Rational(1, 2)
    fields = _taylor_green(sp.Integer(2))
    back = {x: x - e * f}
    image = {
        "u": fields["u"].subs(back) + e * sp.diff(f, t),
        "v": fields["v"].subs(back),
        "s": fields["s"].subs(back),
        "p": fields["p"].subs(back) - e * (x - e * f) * sp.diff(f, t, 2) - e**2 * f * sp.diff(f, t, 2) / 2,
    }
    assert vanishes(_ns_residuals(image, True))


def test_a_scalar_equation_written_as_a_system_gives_the_scalar_algebra():
    from symmetries.derive import Generator, derive
    from symmetries.exponentiate import in_basis

    scalar = derive("u_t + u*u_x = nu*u_xx")
    system = derive_system(PDESystem.parse("u_t + u*u_x = nu*u_xx", ["t", "x"], ["u"]))
    assert len(system.generators) == len(scalar.generators) == 5 and not system.families
    for g in system.generators:
        assert (
            in_basis(Generator(g.components["t"], g.components["x"], g.components["u"]), scalar.generators) is not None
        )


def test_linear_system_reports_its_superposition_families():
    # two uncoupled heat equations: the heat algebra acting on both, gl(2) mixing u and v, and superposition
    algebra = derive_system(PDESystem.parse("u_t = u_xx; v_t = v_xx", ["t", "x"], ["u", "v"]))
    assert len(algebra.generators) == 9
    expected = [{"u": v}, {"v": u}, {"u": u}, {"v": v}, {"t": 1}, {"x": 1}, {"t": 2 * t, "x": x}]
    expected += [{"x": 2 * t, "u": -x * u, "v": -x * v}]
    expected += [{"t": 4 * t**2, "x": 4 * t * x, "u": -(2 * t + x**2) * u, "v": -(2 * t + x**2) * v}]
    assert span_matches([g.components for g in algebra.generators], expected, ["t", "x", "u", "v"])
    assert sorted(f.field.name for f in algebra.families) == ["superposition_u", "superposition_v"]
    for family in algebra.families:
        (f,) = family.functions
        (condition,) = family.conditions
        assert sp.simplify(condition - (sp.diff(f, t) - sp.diff(f, x, 2))) == 0


def test_json_schema_and_the_cli_forms(capsys):
    text, independent, dependent = SYSTEMS["ns2d-buoyancy"]
    assert main(["symmetries", "derive", "ns2d-buoyancy", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["independent"] == ["t", "x", "y"] and data["dependent"] == ["u", "v", "p", "s"]
    assert len(data["generators"]) == 3 and len(data["infinite_families"]) == 3
    for g in data["generators"]:
        assert set(g) == {"name", "components"} and set(g["components"]) == {"t", "x", "y", "u", "v", "p", "s"}
    for f in data["infinite_families"]:
        assert set(f) >= {"components", "functions", "condition"}
        assert all(fn.endswith("(t)") for fn in f["functions"]) and f["condition"] == ""
    args = ["symmetries", "derive", "--independent", ",".join(independent), "--dependent", ",".join(dependent)]
    assert main([*args, text, "--json"]) == 0  # the written-out system: same algebra (read from the cache)
    written = json.loads(capsys.readouterr().out)
    assert written["generators"] == data["generators"] and written["infinite_families"] == data["infinite_families"]
    assert main(["symmetries", "derive", "ns2d"]) == 0
    report = capsys.readouterr().out
    assert "rotation_xy" in report and "galilean_x" in report and "p_xx" in report


def test_a_damaged_cache_entry_is_derived_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PDEJEPA_CACHE_DIR", str(tmp_path))
    args = ("u_t = u_xx; v_t = v_xx", ["t", "x"], ["u", "v"])
    first = system_symmetries_of(*args)
    (entry,) = (tmp_path / "symmetries").glob("system-*.json")
    hostile = json.loads(entry.read_text())
    hostile["generators"][0]["components"]["t"] = "__import__('os').system('touch pwned')"
    entry.write_text(json.dumps(hostile))
    assert system_symmetries_of(*args) == first
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "text,independent,dependent,message",
    [
        ("u_t = v_x; v_t = u_x", ["t", "xx"], ["u", "v"], "single letter"),
        ("u_t = v_x; v_t = u_x", ["t", "x"], ["u", "t"], "named twice"),
        ("u_t = w_x", ["t", "x"], ["u"], "not jets"),
        ("u_t = v_x;", ["t", "x"], ["u", "v"], "non-empty equations"),
        ("u_t = = v_x", ["t", "x"], ["u", "v"], "at most one"),
        ("u_t = v_x; v_t = u_x", ["t", "x"], ["u_1", "v"], "plain name"),
        ("t = x", ["t", "x"], ["u"], "no derivative"),
    ],
)
def test_bad_systems_are_refused_with_a_reason(text, independent, dependent, message):
    with pytest.raises(ValueError, match=message):
        PDESystem.parse(text, independent, dependent)


def test_outside_the_method_is_said_so():
    with pytest.raises(OutsideMethodError, match="leading derivative"):
        derive_system(PDESystem.parse("u_t**2 = u_xx", ["t", "x"], ["u"]))


@pytest.mark.parametrize(
    "argv,message",
    [
        (["symmetries", "derive", "u_t = v_x; v_t = u_x"], "needs --independent and --dependent"),
        (["symmetries", "derive", "u_t = v_x; v_t = u_x", "--independent", "t,x"], "give both"),
        (["symmetries", "derive", "ns2d", "--independent", "t,x,y"], "names its own variables"),
    ],
)
def test_cli_refuses_incomplete_system_arguments(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
