"""Time femstack against NGSolve on one gmsh mesh, the same problems, in the same run.

For each layer pattern and mesh size the reference design is meshed once with gmsh.
Both codes then solve on those triangles, with P2 elements:

- electrostatics: the Maxwell capacitance matrix of the turns and the core;
- eddy currents: the winding impedance matrix Z at each of the design's frequencies.

femstack runs its pipeline functions (``_electrostatics``, ``_eddy_problem``, one
``solve`` and ``_frequency_result`` per frequency) and reports its own stage timers.
NGSolve runs the validation model of ``femstack/validation/ngsolve_check.py``, arranged
for several frequencies: the curl-curl and conductivity matrices are assembled once per
mesh and combined per frequency, as femstack does.

The two formulations differ in the eddy-current circuit coupling. femstack factorizes
one bordered system (field, turn voltages, string currents) and solves it for the two
winding currents. The NGSolve model factorizes the field matrix and solves it once per
turn (10 right-hand sides), then imposes the series and parallel connections on the
10 × 10 turn admittance matrix. Factorization and solves are timed separately so that
like can be compared with like. The electrostatic problems are the same in both codes
(one factorization, one right-hand side per conductor).

The codes alternate within each repetition (femstack first in odd repetitions, NGSolve
first in even ones), so a busy machine slows both alike and the ratio holds.

    python benchmarks/ngsolve_timing.py --repeat 5 --patterns PSPS --size-factors 1 0.5

Needs the ``validation`` extra (``pip install -e '.[validation]'``). Prints Markdown
tables and, with ``--json FILE``, writes every measured time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time

# OpenBLAS reads its thread count when it loads, so this must precede the numpy and
# NGSolve imports. femstack's default solver, SuperLU, limits BLAS to one thread itself.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import skfem  # noqa: E402

import femstack  # noqa: E402
import femstack.pipeline as pipeline  # noqa: E402
from femstack.validation import ngsolve_check  # noqa: E402

STAGES = ("mesh_import", "assembly", "factorization", "solves", "post_processing")
PROBLEMS = ("es", "eddy")
#: Timers of each run: the mesh import, then every stage of each problem.
TIMERS = ("mesh_import", *(f"{problem}_{stage}" for problem in PROBLEMS for stage in STAGES[1:]))
EPSILON_0 = 8.8541878128e-12
MU_0 = 4e-7 * np.pi


def import_ngsolve():
    """Return the ngsolve and netgen.meshing modules, or exit naming the extra to install."""
    try:
        return ngsolve_check._import_ngsolve()
    except ngsolve_check.NGSolveMissingError as error:
        sys.exit(f"error: {error}")


def add_stage_totals(timings: dict[str, float]) -> None:
    """Add each stage summed over both problems, and the total, to ``timings`` (s)."""
    for stage in STAGES[1:]:
        timings[stage] = sum(timings[f"{problem}_{stage}"] for problem in PROBLEMS)
    timings["total"] = timings["mesh_import"] + sum(timings[stage] for stage in STAGES[1:])


# femstack -----------------------------------------------------------------------------


def run_femstack(design, model, region_mesh) -> dict:
    """Solve both problems with femstack's pipeline functions and return the timings and results."""
    order = design.mesh.element_order
    cpu_start = time.process_time()
    timings = dict.fromkeys(TIMERS, 0.0)

    # Electrostatics, with the capacitance network that the pipeline builds from C.
    start = time.perf_counter()
    es_solution, _ = pipeline._electrostatics(design, model, region_mesh, order)
    es_total = time.perf_counter() - start
    for stage, seconds in es_solution.timings.items():
        timings[f"es_{stage}"] += seconds
    timings["es_post_processing"] += es_total - sum(es_solution.timings.values())

    # Eddy currents: one factorization per frequency, two right-hand sides.
    start = time.perf_counter()
    problem = pipeline._eddy_problem(design, model, region_mesh, order)
    impedances = []
    for frequency in design.excitation.frequencies:
        solution = problem.solve(frequency)
        impedances.append(pipeline._frequency_result(design, model, solution).impedance)
    eddy_total = time.perf_counter() - start
    for stage, seconds in problem.timings.items():
        timings[f"eddy_{stage}"] += seconds
    timings["eddy_post_processing"] += eddy_total - sum(problem.timings.values())

    add_stage_totals(timings)
    timings["cpu_total"] = time.process_time() - cpu_start
    bordered = problem.system_parts()[0].shape[0]
    return {
        "timings": timings,
        "maxwell": es_solution.maxwell,
        "conductors": list(es_solution.names),
        "impedance": impedances,
        "unknowns": {"electrostatic": int(es_solution.basis.N), "eddy_current": int(bordered)},
        "right_hand_sides": {"electrostatic": len(es_solution.names), "eddy_current": len(problem.windings)},
    }


# NGSolve ------------------------------------------------------------------------------


def _region_values(ngsolve, values):
    return ngsolve.CoefficientFunction([complex(v) if np.iscomplexobj(v) else float(v) for v in values])


def _bit_array(ngsolve, mask: np.ndarray):
    return ngsolve.BitArray([bool(flag) for flag in mask])


def run_ngsolve(ngsolve, meshing, design, model, region_mesh, inverse: str) -> dict:
    """Solve both problems with the NGSolve validation model and return the timings and results.

    ``inverse`` is the sparse direct solver name passed to NGSolve's ``Inverse``.
    """
    order = design.mesh.element_order
    cpu_start = time.process_time()
    timings = dict.fromkeys(TIMERS, 0.0)
    layout = model.layout
    names = region_mesh.region_names
    region_of = {name: index for index, name in enumerate(names)}

    start = time.perf_counter()
    mesh = ngsolve.Mesh(ngsolve_check.to_netgen(region_mesh, meshing))
    timings["mesh_import"] = time.perf_counter() - start
    r = ngsolve.x

    # Electrostatics: every dof of a conductor is fixed, and its vertex dofs are set to 1 V.
    start = time.perf_counter()
    turn_names = [t.region for turns in model.turns.values() for t in turns]
    conductors = {name: [name] for name in turn_names}
    if design.core.electrostatic in ("floating", "grounded"):
        conductors["core"] = list(model.core_regions) + list(model.conducting_gap_regions)
    permittivity = [EPSILON_0 * layout.material(n).relative_permittivity for n in names]
    fes = ngsolve.H1(mesh, order=order)
    u, v = fes.TnT()
    a = ngsolve.BilinearForm(fes, symmetric=True)
    a += _region_values(ngsolve, permittivity) * ngsolve.grad(u) * ngsolve.grad(v) * 2 * np.pi * r * ngsolve.dx
    a.Assemble()
    fixed = np.zeros(fes.ndof, dtype=bool)
    vertex_masks = []
    for regions in conductors.values():
        dofs = np.zeros(fes.ndof, dtype=bool)
        for region in regions:
            dofs |= np.array(list(fes.GetDofs(mesh.Materials(f"region{region_of[region]}"))), dtype=bool)
        fixed |= dofs
        vertex_masks.append(dofs & (np.arange(fes.ndof) < mesh.nv))
    free = _bit_array(ngsolve, ~fixed)
    timings["es_assembly"] += time.perf_counter() - start

    start = time.perf_counter()
    es_inverse = a.mat.Inverse(free, inverse=inverse)
    timings["es_factorization"] += time.perf_counter() - start

    field = ngsolve.GridFunction(fes)
    residual = field.vec.CreateVector()
    correction = field.vec.CreateVector()
    maxwell = np.zeros((len(conductors), len(conductors)))
    loop_start = time.perf_counter()
    for j, mask in enumerate(vertex_masks):
        field.vec.FV().NumPy()[:] = mask
        residual.data = a.mat * field.vec
        step = time.perf_counter()
        correction.data = es_inverse * residual
        timings["es_solves"] += time.perf_counter() - step
        field.vec.data -= correction
        residual.data = a.mat * field.vec
        charges = residual.FV().NumPy()
        maxwell[:, j] = [charges[other].sum() for other in vertex_masks]
    maxwell = 0.5 * (maxwell + maxwell.T)
    # The residual products and charge sums around the solves are post-processing.
    timings["es_post_processing"] = time.perf_counter() - loop_start - timings["es_solves"]
    es_unknowns = fes.ndof

    # Eddy currents: K and M are assembled once per mesh and share one sparsity graph,
    # so each frequency only forms K + jωM, as femstack does.
    start = time.perf_counter()
    windings = ngsolve_check.winding_circuits(design, model)
    turns = [t for w in windings for t in w.turns]
    conductivity = [layout.material(n).conductivity for n in names]
    reluctivity = [1.0 / (MU_0 * complex(layout.material(n).relative_permeability)) for n in names]
    mfes = ngsolve.H1(mesh, order=order, complex=True, dirichlet="axis|outer")
    A, w = mfes.TnT()
    sigma = _region_values(ngsolve, conductivity)

    def bz(f):
        return ngsolve.grad(f)[0] + f / r

    stiffness = ngsolve.BilinearForm(mfes, symmetric=True)
    stiffness += _region_values(ngsolve, reluctivity) * (bz(A) * bz(w) + ngsolve.grad(A)[1] * ngsolve.grad(w)[1]) * 2 * np.pi * r * ngsolve.dx
    stiffness.Assemble()
    mass = ngsolve.BilinearForm(mfes, symmetric=True)
    mass += sigma * A * w * 2 * np.pi * r * ngsolve.dx
    mass.Assemble()
    system = stiffness.mat.CreateMatrix()
    loads, conductance = ngsolve_check.turn_loads(ngsolve, mesh, mfes, w, turns, names, sigma)
    coupling = np.column_stack([load.FV().NumPy() for load in loads])
    timings["eddy_assembly"] += time.perf_counter() - start

    solution = ngsolve.GridFunction(mfes)
    impedances, losses = [], []
    for frequency in design.excitation.frequencies:
        omega = 2.0 * np.pi * frequency
        start = time.perf_counter()
        system.AsVector().data = stiffness.mat.AsVector() + (1j * omega) * mass.mat.AsVector()
        timings["eddy_assembly"] += time.perf_counter() - start

        start = time.perf_counter()
        eddy_inverse = system.Inverse(mfes.FreeDofs(), inverse=inverse)
        timings["eddy_factorization"] += time.perf_counter() - start

        # One field per turn, for U_k = 1 V on that turn.
        start = time.perf_counter()
        fields = np.empty((mfes.ndof, len(turns)), dtype=complex)
        for k, load in enumerate(loads):
            solution.vec.data = eddy_inverse * load
            fields[:, k] = solution.vec.FV().NumPy()
        timings["eddy_solves"] += time.perf_counter() - start

        # I_k = G_k U_k − jω ∫_k σA dr dz gives Y, and the series and parallel connections give Z.
        start = time.perf_counter()
        admittance = np.diag(conductance) - 1j * omega * (coupling.T @ fields)
        impedance, turn_voltages = ngsolve_check._winding_impedance(windings, turns, admittance)
        currents = np.array([design.excitation.currents[wd.name] for wd in windings], dtype=complex)
        losses.append(_winding_losses(ngsolve, mesh, mfes, region_mesh, fields @ (turn_voltages @ currents),
                        turn_voltages @ currents, turns, windings, conductivity, omega))
        impedances.append(impedance)
        timings["eddy_post_processing"] += time.perf_counter() - start

    add_stage_totals(timings)
    timings["cpu_total"] = time.process_time() - cpu_start
    return {
        "timings": timings,
        "maxwell": maxwell,
        "conductors": list(conductors),
        "impedance": impedances,
        "winding_losses": losses,
        "unknowns": {"electrostatic": int(es_unknowns), "eddy_current": int(mfes.ndof)},
        "right_hand_sides": {"electrostatic": len(conductors), "eddy_current": len(turns)},
    }


def _winding_losses(ngsolve, mesh, mfes, region_mesh, potential, turn_voltage, turns, windings, conductivity, omega):
    """Return the copper loss per winding in W, ∫|J|²/(2σ) 2πr over its turns (peak phasors)."""
    names = region_mesh.region_names
    field = ngsolve.GridFunction(mfes)
    field.vec.FV().NumPy()[:] = potential
    source = ngsolve.CoefficientFunction([complex(turn_voltage[turns.index(n)]) if n in turns else 0j for n in names])
    copper = ngsolve.CoefficientFunction([1.0 if n in turns else 0.0 for n in names])
    safe_sigma = ngsolve.CoefficientFunction([s if s > 0 else 1.0 for s in conductivity])
    density = safe_sigma * (-1j * omega * field + source / (2 * np.pi * ngsolve.x))
    loss_density = copper * ngsolve.Norm(density) ** 2 / (2 * safe_sigma) * 2 * np.pi * ngsolve.x
    per_element = np.asarray(ngsolve.Integrate(loss_density, mesh, element_wise=True)).real
    per_region = np.bincount(region_mesh.element_region, weights=per_element, minlength=len(names))
    return {wd.name: float(sum(per_region[names.index(t)] for t in wd.turns)) for wd in windings}


def probe_inverses(ngsolve, meshing, design, model, region_mesh, candidates: list[str]) -> dict[str, float | str]:
    """Return the NGSolve wall time in s per sparse direct solver, or why it failed."""
    results: dict[str, float | str] = {}
    for name in candidates:
        try:
            results[name] = run_ngsolve(ngsolve, meshing, design, model, region_mesh, name)["timings"]["total"]
        except Exception as error:  # NGSolve raises plain exceptions for a missing solver
            results[name] = f"not available: {str(error).splitlines()[0][:120]}"
    return results


# Comparison ---------------------------------------------------------------------------


def max_relative_difference(reference: np.ndarray, other: np.ndarray, floor: float = 1e-3) -> float:
    """Return max |other − reference| / |reference| over entries above ``floor`` × max |reference|."""
    magnitude = np.abs(reference)
    significant = magnitude > floor * magnitude.max()
    return float(np.max(np.abs(other - reference)[significant] / magnitude[significant]))


def agreement(fem: dict, ng: dict) -> dict[str, float]:
    """Return the max relative differences of the Maxwell and Z matrices between the codes."""
    order = [ng["conductors"].index(name) for name in fem["conductors"]]
    ng_maxwell = ng["maxwell"][np.ix_(order, order)]
    impedance = max(
        max_relative_difference(z_fem, z_ng) for z_fem, z_ng in zip(fem["impedance"], ng["impedance"])
    )
    return {"maxwell": max_relative_difference(fem["maxwell"], ng_maxwell), "impedance": impedance}


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def _ratio(fem: list[float], ng: list[float]) -> str:
    """Return the median over repetitions of femstack/NGSolve, each pair having run back to back."""
    ratios = [f / n for f, n in zip(fem, ng) if n > 0]
    if not ratios or not any(fem):  # femstack has no such step (the mesh import)
        return "–"
    return f"{statistics.median(ratios):.2f}"


def print_table(label: str, record: dict) -> None:
    """Print one case: stages summed over both problems, then each problem's stages."""
    fem, ng = record["femstack"], record["ngsolve"]
    print(f"\n### {label}\n")
    print(f"{record['triangles']} triangles, meshed once by gmsh in {record['meshing_s']:.2f} s (not in the totals). "
          f"NGSolve inverse: {record['inverse']}. {len(fem['total'])} repetitions. Wall time in s, median (min–max); "
          "cpu_total is the CPU time of this process.\n")
    print("| stage | femstack, s | NGSolve, s | ratio femstack/NGSolve |")
    print("|---|---|---|---|")
    for stage in (*STAGES, "total", "cpu_total", *TIMERS[1:]):
        print(f"| {stage} | {_spread(fem[stage])} | {_spread(ng[stage])} | {_ratio(fem[stage], ng[stage])} |")

    # Like with like: the eddy-current solve cost per right-hand side, and NGSolve's
    # time with as many right-hand sides as femstack.
    # NOTE: the second is an estimate. It scales NGSolve's measured solves and ignores
    # the fill that a bordered system of NGSolve's would add to its factorization.
    rhs, frequencies = record["right_hand_sides"], record["frequencies"]
    fem_per_rhs = [t / (frequencies * rhs["femstack"]["eddy_current"]) for t in fem["eddy_solves"]]
    ng_per_rhs = [t / (frequencies * rhs["ngsolve"]["eddy_current"]) for t in ng["eddy_solves"]]
    ng_estimate = [total - solves + solves * rhs["femstack"]["eddy_current"] / rhs["ngsolve"]["eddy_current"]
                   for total, solves in zip(ng["total"], ng["eddy_solves"])]
    print(f"| eddy solve per right-hand side | {_spread(fem_per_rhs)} | {_spread(ng_per_rhs)} "
          f"| {_ratio(fem_per_rhs, ng_per_rhs)} |")
    print(f"| total, NGSolve with {rhs['femstack']['eddy_current']} eddy right-hand sides (estimate) "
          f"| {_spread(fem['total'])} | {_spread(ng_estimate)} | {_ratio(fem['total'], ng_estimate)} |")

    unknowns = record["unknowns"]
    print(f"\nunknowns (electrostatic / eddy current): femstack {unknowns['femstack']['electrostatic']} / "
          f"{unknowns['femstack']['eddy_current']} (bordered system), NGSolve {unknowns['ngsolve']['electrostatic']} / "
          f"{unknowns['ngsolve']['eddy_current']}. Right-hand sides per factorization: femstack "
          f"{rhs['femstack']['electrostatic']} / {rhs['femstack']['eddy_current']}, NGSolve "
          f"{rhs['ngsolve']['electrostatic']} / {rhs['ngsolve']['eddy_current']}; {frequencies} frequencies.")
    print(f"max relative difference: Maxwell matrix {record['agreement']['maxwell']:.1e} (entries above 1e-3 of "
          f"the largest), Z matrix {record['agreement']['impedance']:.1e} (all entries, all frequencies)")


def measure(ngsolve, meshing, pattern, size_factor, order, repeat, threads, inverse) -> dict:
    """Mesh one arrangement once and time both codes on it ``repeat`` times, alternating."""
    design, model, region_mesh, meshing_s = ngsolve_check.reference_case(pattern, size_factor, order)
    record = {"pattern": pattern, "size_factor": size_factor, "element_order": order, "threads": threads,
              "triangles": int(region_mesh.n_elements), "meshing_s": meshing_s, "inverse": inverse,
              "frequencies": len(design.excitation.frequencies),
              "femstack": {}, "ngsolve": {}}
    ngsolve.SetNumThreads(threads)
    runners = {
        "femstack": lambda: run_femstack(design, model, region_mesh),
        "ngsolve": lambda: run_ngsolve(ngsolve, meshing, design, model, region_mesh, inverse),
    }

    def run(code: str) -> dict:
        if code == "ngsolve" and threads > 1:
            with ngsolve.TaskManager():
                return runners[code]()
        return runners[code]()

    # One untimed run of each code first, so that neither pays for first-call set-up.
    last = {code: run(code) for code in runners}
    for repetition in range(repeat):
        order_of_codes = ("femstack", "ngsolve") if repetition % 2 == 0 else ("ngsolve", "femstack")
        for code in order_of_codes:
            last[code] = run(code)
            for stage, seconds in last[code]["timings"].items():
                record[code].setdefault(stage, []).append(seconds)
        print(f"# {pattern} size_factor {size_factor} threads {threads} {repetition + 1}/{repeat}: "
              f"femstack {record['femstack']['total'][-1]:.2f} s, NGSolve {record['ngsolve']['total'][-1]:.2f} s",
              file=sys.stderr)
    record["unknowns"] = {code: last[code]["unknowns"] for code in runners}
    record["right_hand_sides"] = {code: last[code]["right_hand_sides"] for code in runners}
    record["agreement"] = agreement(last["femstack"], last["ngsolve"])
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per code and case (default 5)")
    parser.add_argument("--patterns", nargs="+", default=["PSPS"], help="layer patterns (default PSPS)")
    parser.add_argument("--size-factors", type=float, nargs="+", default=[1.0, 0.5],
                        help="mesh size factors; 1 is the default mesh (default 1 0.5)")
    parser.add_argument("--order", type=int, default=2, help="element order (default 2)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1],
                        help="NGSolve thread counts to measure; femstack always uses one (default 1)")
    parser.add_argument("--inverse", default="auto",
                        help="NGSolve sparse direct solver; 'auto' times sparsecholesky, umfpack and "
                             "pardiso once on the first case and uses the fastest (default auto)")
    parser.add_argument("--json", help="write every measured time to this JSON file")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    ngsolve, meshing = import_ngsolve()

    inverse, probe = args.inverse, {}
    if inverse == "auto":
        design, model, region_mesh, _ = ngsolve_check.reference_case(args.patterns[0], args.size_factors[0], args.order)
        ngsolve.SetNumThreads(1)
        probe = probe_inverses(ngsolve, meshing, design, model, region_mesh, ["sparsecholesky", "umfpack", "pardiso"])
        timed = {name: seconds for name, seconds in probe.items() if isinstance(seconds, float)}
        if not timed:
            sys.exit(f"error: no NGSolve sparse direct solver worked: {probe}")
        inverse = min(timed, key=timed.get)

    records = []
    for threads in args.threads:
        for pattern in args.patterns:
            for size_factor in args.size_factors:
                records.append(measure(ngsolve, meshing, pattern, size_factor, args.order, args.repeat, threads, inverse))

    print(f"`python benchmarks/ngsolve_timing.py {' '.join(sys.argv[1:])}` on {datetime.date.today()}: "
          f"femstack {femstack.__version__}, scikit-fem {skfem.__version__}, scipy {scipy.__version__}, "
          f"numpy {np.__version__}, NGSolve {ngsolve.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"load average at the end {os.getloadavg()[0]:.1f}.")
    if probe:
        print("\nNGSolve total wall time per sparse direct solver (one run, first case): "
              + ", ".join(f"{name} {value:.2f} s" if isinstance(value, float) else f"{name} {value}"
                          for name, value in probe.items()))
    for record in records:
        print_table(f"{record['pattern']}, size_factor {record['size_factor']:g}, P{record['element_order']}, "
                    f"NGSolve threads {record['threads']}", record)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"inverse_probe": probe, "records": records}, handle, indent=1)


if __name__ == "__main__":
    main()
