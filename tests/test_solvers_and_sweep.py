"""Linear-solver choice, symbolic reuse, stage timings and the reduced-order sweep.

Every check compares two independent computations: a solver against SuperLU on the same
system, and the reduced-order sweep against full solves at frequencies it did not
expand at.
"""

from __future__ import annotations

import functools
import json
import logging

import numpy as np
import pytest
from typer.testing import CliRunner

from femstack.cli import app
from femstack.design.loader import load_design, reference_design_path
from femstack.errors import DesignError, SolverError
from femstack.geometries.axisymmetric import build_axisymmetric_model
from femstack.geometries.mesher import mesh_layout
from femstack.pipeline import STAGES, _eddy_problem, _electrostatics, run_arrangement
from femstack.solvers import linear
from femstack.solvers.reduced_order import sweep, verify


def coarse_design(solver: str = "superlu"):
    """The reference design on a coarse mesh (element sizes tripled)."""
    design = load_design(reference_design_path())
    mesh = design.mesh.model_copy(update={"size_factor": 3.0, "solver": solver})
    return design.model_copy(update={"mesh": mesh})


@functools.lru_cache(maxsize=None)
def coarse_model(pattern: str = "PSPS"):
    design = coarse_design()
    model = build_axisymmetric_model(design, pattern)
    return design, model, mesh_layout(model.layout)


def solve_with(solver: str, frequency: float = 500e3):
    """Return (Z, Maxwell matrix) of the coarse PSPS model with ``solver``."""
    design, model, rm = coarse_model()
    design = design.model_copy(update={"mesh": design.mesh.model_copy(update={"solver": solver})})
    es, _ = _electrostatics(design, model, rm, 2)
    Z = _eddy_problem(design, model, rm, 2).solve(frequency).impedance
    return Z, es.maxwell


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.mark.parametrize("solver", linear.SOLVERS[1:])
def test_solver_matches_superlu(solver):
    if not linear.solver_available(solver):
        pytest.skip(f"{linear.SOLVER_PACKAGES[solver]} is not installed")
    Z_ref, C_ref = solve_with("superlu")
    Z, C = solve_with(solver)
    assert relative_difference(Z, Z_ref) < 1e-8
    assert relative_difference(C, C_ref) < 1e-8


@pytest.mark.parametrize("ordering", [o for o in linear.SUPERLU_ORDERINGS if o != "NATURAL"])
@pytest.mark.parametrize("symmetric_mode", [True, False])
def test_superlu_orderings_agree(ordering, symmetric_mode):
    design, model, rm = coarse_model()
    problem = _eddy_problem(design, model, rm, 2)
    A, b = problem._system(2 * np.pi * 200e3)
    reference = linear.Factorization(A).solve(b)
    x = linear.Factorization(A, "superlu", ordering=ordering, symmetric_mode=symmetric_mode).solve(b)
    assert relative_difference(x, reference) < 1e-8


def test_unknown_ordering_rejected():
    with pytest.raises(ValueError, match="ordering = 'AMD'"):
        linear.Factorization(np.eye(2), "superlu", ordering="AMD")


def test_unknown_solver_rejected():
    with pytest.raises(ValueError, match="solver = 'mumps'.*superlu, umfpack, pardiso"):
        linear.LinearSolver("mumps")


def test_missing_solver_falls_back(monkeypatch, caplog):
    monkeypatch.setattr(linear, "solver_available", lambda name: name == "superlu")
    monkeypatch.setattr(linear, "_warned_missing", set())
    with caplog.at_level(logging.WARNING, logger="femstack.solvers.linear"):
        factor = linear.Factorization(np.eye(3) * 2.0, "umfpack")
    assert factor.solver == "superlu"
    assert np.allclose(factor.solve(np.ones(3)), 0.5)
    assert "kvxopt" in caplog.text


def test_design_rejects_unknown_solver(tmp_path):
    text = reference_design_path().read_text()
    path = tmp_path / "design.toml"
    path.write_text(text + '\n[mesh]\nsolver = "mumps"\n')
    with pytest.raises(DesignError) as error:
        load_design(path)
    message = str(error.value)
    assert "mesh.solver" in message
    assert "mumps" in message
    assert "superlu, umfpack, pardiso" in message


def test_umfpack_reuses_symbolic_analysis():
    if not linear.solver_available("umfpack"):
        pytest.skip("kvxopt is not installed")
    design, model, rm = coarse_model()
    problem = _eddy_problem(design, model, rm, 2)
    solver = linear.LinearSolver("umfpack")
    first = solver.factorize(problem._system(2 * np.pi * 100e3)[0])
    A, b = problem._system(2 * np.pi * 1e6)
    second = solver.factorize(A)
    assert second.symbolic is first.symbolic
    assert relative_difference(second.solve(b), linear.Factorization(A).solve(b)) < 1e-8


def test_arrangement_timings_cover_stages():
    design, _, _ = coarse_model()
    result = run_arrangement(design, "PSPS")
    assert set(result.timings) == set(STAGES[:6])
    assert all(seconds >= 0.0 for seconds in result.timings.values())


@pytest.fixture(scope="module")
def sweep_case():
    design, model, rm = coarse_model()
    problem = _eddy_problem(design, model, rm, 2)
    currents = [design.excitation.currents[w.name] for w in design.windings]
    frequencies = np.geomspace(10e3, 10e6, 30)
    return problem, currents, sweep(problem, frequencies, currents)


def test_sweep_uses_few_full_solves(sweep_case):
    _, _, result = sweep_case
    assert result.full_solves <= 3
    assert result.back_substitutions == 8 * result.full_solves
    assert result.error_estimate < 1e-4


@pytest.mark.parametrize("moments", [1, 2, 3])
def test_one_point_error_falls_with_moments(sweep_case, moments):
    # One more Taylor coefficient matched at 500 kHz must cut the error at 550 kHz more
    # than tenfold if the moment recurrence is right.
    problem, currents, _ = sweep_case
    frequencies = [500e3 / 1.1, 500e3, 500e3 * 1.1]
    errors = []
    for q in (moments, moments + 1):
        result = sweep(problem, frequencies, currents, max_expansions=1, moments=q)
        assert result.expansion_frequencies == [500e3]
        errors.append(verify(problem, result, [500e3 * 1.1], currents)[0]["relative_error"])
    assert errors[1] < errors[0] / 10, errors


def test_sweep_matches_full_solves_within_estimate(sweep_case):
    problem, currents, result = sweep_case
    rng = np.random.default_rng(1)
    candidates = [f for f in result.frequencies if f not in result.expansion_frequencies]
    chosen = rng.choice(candidates, size=4, replace=False)
    for row in verify(problem, result, chosen, currents):
        assert row["relative_error"] <= row["error_estimate_here"], row
        assert row["relative_error"] <= result.error_estimate, row


def test_sweep_rac_matches_pipeline_losses(sweep_case):
    problem, currents, result = sweep_case
    frequency = result.frequencies[11]
    losses = problem.solve(frequency).region_losses(currents)
    winding = problem.windings[0]
    expected = 2.0 * sum(losses[t] for t in winding.turns) / abs(currents[0]) ** 2
    assert result.ac_resistance[winding.name][11] == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("frequencies", [[], [-1.0, 1e3], [np.nan]])
def test_sweep_rejects_bad_frequencies(sweep_case, frequencies):
    problem, currents, _ = sweep_case
    with pytest.raises(SolverError, match="frequencies"):
        sweep(problem, frequencies, currents)


def test_cli_sweep_writes_csv_and_json(tmp_path):
    design_path = tmp_path / "coarse.toml"
    design_path.write_text(reference_design_path().read_text() + "\n[mesh]\nsize_factor = 3\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["sweep", str(design_path), "-p", "PSPS", "--points", "8", "--check", "1", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert (out / "PSPS_sweep.csv").read_text().count("\n") == 9
    record = json.loads((out / "PSPS_sweep.json").read_text())
    assert record["full_solves"] <= 5
    assert len(record["rows"]) == 8
    assert record["checks"][0]["relative_error"] <= record["error_estimate"]
    assert not list(out.glob("*.tmp*"))


def test_sweep_checks_skip_expansion_points(tmp_path):
    # The reduced model is exact at its expansion frequencies, so a check there tests
    # nothing: asking for more checks than other frequencies exist checks only those.
    from femstack.frequency_sweep import sweep

    design_path = tmp_path / "coarse.toml"
    design_path.write_text(reference_design_path().read_text() + "\n[mesh]\nsize_factor = 3\n")
    design = load_design(design_path)
    frequencies = np.geomspace(1e4, 1e7, 5)
    (result,) = sweep(design, frequencies, ["PSPS"], check=10)
    expansions = result.sweep.expansion_frequencies
    checked = [row["frequency_Hz"] for row in result.checks]
    assert len(checked) == len(frequencies) - len(expansions)
    for frequency in checked:
        assert not np.any(np.isclose(frequency, expansions, rtol=1e-12, atol=0.0))


@pytest.mark.parametrize(
    "arguments, field",
    [
        (["--f-min", "-5 kHz"], "--f-min"),
        (["--f-min", "1 MHz", "--f-max", "10 kHz"], "--f-max"),
        (["--points", "0"], "--points"),
        (["--max-solves", "0"], "--max-solves"),
        (["--tolerance", "0"], "--tolerance"),
    ],
)
def test_cli_sweep_rejects_bad_options(tmp_path, arguments, field):
    result = CliRunner().invoke(app, ["sweep", *arguments, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert field in result.output
    assert "Traceback" not in result.output


def test_problem_pickles_without_caches():
    import pickle

    design, model, rm = coarse_model()
    problem = _eddy_problem(design.model_copy(update={"mesh": design.mesh.model_copy(update={"solver": "umfpack"})}), model, rm, 2)
    solution = problem.solve(200e3)
    _ = problem.centroid_basis
    copy = pickle.loads(pickle.dumps(solution))
    assert not hasattr(copy.problem, "_parts")
    assert np.allclose(copy.problem.solve(200e3).impedance, solution.impedance, rtol=1e-10)
