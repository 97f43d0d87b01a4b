r"""The reference design solved again with NGSolve, as an independent finite-element code.

The same gmsh triangles (femstack's :class:`RegionMesh`) are handed to netgen as a
mesh with one material per region, so both codes discretise the same geometry. NGSolve
then assembles its own H¹ spaces of the same order with the same axisymmetric weak forms:

- electrostatics: ∫ε∇φ·∇v 2πr = 0, conductors held at unit potentials one at a time,
  charges from the residual of the assembled form (femstack: the reaction of K);
- eddy currents: ∫ν[B_z(A)B_z(v) + B_r(A)B_r(v)]2πr + jω∫σAv 2πr = Σ_k U_k∫_k σv dr dz,
  A = 0 on the axis and the outer boundary. The circuit is coupled differently from
  femstack: NGSolve solves one field per turn (A_k for U_k = 1 V), which gives the turn
  admittance matrix Y = diag(G) − jω Bᵀ A, and the series/parallel connections are then
  imposed on Y in a small dense system. femstack instead factorizes one bordered system.

The capacitance and impedance post-processing (terminal map, CM capacitance, leakage
from the short-circuit impedance) is femstack's, applied to NGSolve's Maxwell matrix and
Z matrix, so the comparison isolates the field solutions.

NGSolve is an optional dependency (``pip install 'femstack[validation]'``). It is
imported only inside :func:`compare_with_ngsolve`.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from femstack.geometries.mesher import RegionMesh
from femstack.pipeline import winding_circuits

logger = logging.getLogger(__name__)


class NGSolveMissingError(ImportError):
    """NGSolve is not installed in this environment."""


def _import_ngsolve():
    try:
        import ngsolve
        from netgen import meshing
    except ImportError as error:
        raise NGSolveMissingError(
            "the NGSolve comparison needs the optional package ngsolve; install it with "
            "pip install 'femstack[validation]' (best in a separate virtual environment)"
        ) from error
    return ngsolve, meshing


@dataclasses.dataclass
class NGSolveResult:
    """NGSolve's Maxwell matrix (F), winding Z matrix (Ω), winding copper losses (W) and timings (s)."""

    maxwell: np.ndarray
    conductor_names: list[str]
    impedance: np.ndarray
    winding_losses: dict[str, float]
    timings: dict[str, float]
    unknowns: dict[str, int]
    version: str


def to_netgen(region_mesh: RegionMesh, meshing):
    """Build a netgen mesh with the same nodes and triangles, one material per region.

    Boundary segments on r = 0 are named ``axis``, the others ``outer``.
    """
    mesh = region_mesh.mesh
    ngmesh = meshing.Mesh(dim=2)
    points = [ngmesh.Add(meshing.MeshPoint(meshing.Pnt(float(x), float(y), 0.0))) for x, y in mesh.p.T]
    ngmesh.Add(meshing.FaceDescriptor(surfnr=1, domin=1, bc=1))
    for index, name in enumerate(region_mesh.region_names):
        ngmesh.SetMaterial(index + 1, f"region{index}")
    for element, (a, b, c) in enumerate(mesh.t.T):
        ngmesh.Add(meshing.Element2D(int(region_mesh.element_region[element]) + 1,
                                     [points[a], points[b], points[c]]))
    axis = set(region_mesh.axis_facets().tolist())
    for bc, name in ((1, "axis"), (2, "outer")):
        ngmesh.SetBCName(bc - 1, name)
    for facet in mesh.boundary_facets():
        a, b = mesh.facets[:, facet]
        bc = 1 if facet in axis else 2
        ngmesh.Add(meshing.Element1D([points[a], points[b]], index=bc))
    return ngmesh


def _per_region(ngsolve, mesh, values: list[float]):
    return ngsolve.CoefficientFunction([complex(v) if np.iscomplexobj(v) else float(v) for v in values])


def compare_with_ngsolve(design, model, region_mesh: RegionMesh, order: int, frequency: float) -> NGSolveResult:
    """Solve the electrostatic and eddy-current problems of one arrangement with NGSolve."""
    ngsolve, meshing = _import_ngsolve()
    timings: dict[str, float] = {}
    layout = model.layout
    names = region_mesh.region_names

    start = time.perf_counter()
    mesh = ngsolve.Mesh(to_netgen(region_mesh, meshing))
    timings["mesh_import"] = time.perf_counter() - start
    r = ngsolve.x

    # Electrostatics ------------------------------------------------------------------
    conductors = _conductors(design, model)
    eps = [8.8541878128e-12 * layout.material(n).relative_permittivity for n in names]

    start = time.perf_counter()
    fes = ngsolve.H1(mesh, order=order)
    u, v = fes.TnT()
    a = ngsolve.BilinearForm(fes, symmetric=True)
    a += _per_region(ngsolve, mesh, eps) * ngsolve.grad(u) * ngsolve.grad(v) * 2 * np.pi * r * ngsolve.dx
    a.Assemble()
    region_of = {n: i for i, n in enumerate(names)}
    # NGSolve's H1 basis is hierarchical: a function equal to 1 on a conductor has its
    # vertex coefficients 1 and its edge (higher-order) coefficients 0. Every coefficient
    # of a conductor element is fixed, and the unit vector sets only the vertex ones,
    # which NGSolve numbers first (dof i belongs to vertex i).
    fixed = np.zeros(fes.ndof, dtype=bool)
    masks = {}
    for conductor, regions in conductors.items():
        dofs = np.zeros(fes.ndof, dtype=bool)
        for region in regions:
            dofs |= np.array(list(fes.GetDofs(mesh.Materials(f"region{region_of[region]}"))), dtype=bool)
        fixed |= dofs
        masks[conductor] = dofs & (np.arange(fes.ndof) < mesh.nv)
    free = ngsolve.BitArray(fes.ndof)
    free.Clear()
    for dof in np.flatnonzero(~fixed):
        free.Set(int(dof))
    timings["es_assembly"] = time.perf_counter() - start

    start = time.perf_counter()
    inverse = a.mat.Inverse(free, inverse="sparsecholesky")
    timings["es_factorization"] = time.perf_counter() - start

    start = time.perf_counter()
    conductor_list = list(conductors)
    maxwell = np.zeros((len(conductor_list), len(conductor_list)))
    gf = ngsolve.GridFunction(fes)
    residual = gf.vec.CreateVector()
    for j, conductor in enumerate(conductor_list):
        values = np.zeros(fes.ndof)
        values[masks[conductor]] = 1.0
        gf.vec.FV().NumPy()[:] = values
        residual.data = a.mat * gf.vec
        gf.vec.data -= inverse * residual
        residual.data = a.mat * gf.vec
        charges = residual.FV().NumPy()
        for i, other in enumerate(conductor_list):
            maxwell[i, j] = charges[masks[other]].sum()
    timings["es_solve"] = time.perf_counter() - start
    maxwell = 0.5 * (maxwell + maxwell.T)
    es_unknowns = fes.ndof

    # Eddy currents -------------------------------------------------------------------
    windings = winding_circuits(design, model)
    turns = [t for w in windings for t in w.turns]
    sigma = [layout.material(n).conductivity for n in names]
    nu = [1.0 / (4e-7 * np.pi * complex(layout.material(n).relative_permeability)) for n in names]
    omega = 2.0 * np.pi * frequency

    start = time.perf_counter()
    mfes = ngsolve.H1(mesh, order=order, complex=True, dirichlet="axis|outer")
    A, w = mfes.TnT()
    nu_cf, sigma_cf = _per_region(ngsolve, mesh, nu), _per_region(ngsolve, mesh, sigma)

    def bz(f):
        return ngsolve.grad(f)[0] + f / r

    m = ngsolve.BilinearForm(mfes, symmetric=True)
    m += nu_cf * (bz(A) * bz(w) + ngsolve.grad(A)[1] * ngsolve.grad(w)[1]) * 2 * np.pi * r * ngsolve.dx
    m += 1j * omega * sigma_cf * A * w * 2 * np.pi * r * ngsolve.dx
    m.Assemble()
    loads, conductance = turn_loads(ngsolve, mesh, mfes, w, turns, names, sigma_cf)
    timings["eddy_assembly"] = time.perf_counter() - start

    start = time.perf_counter()
    # NGSolve's own sparse LDLᵀ handles the complex symmetric (not Hermitian) matrix. The
    # PyPI wheel of 6.2.2608 ships OpenBLAS and no PARDISO.
    solver_name = "sparsecholesky"
    minverse = m.mat.Inverse(mfes.FreeDofs(), inverse=solver_name)
    timings["eddy_factorization"] = time.perf_counter() - start

    start = time.perf_counter()
    fields = []
    for load in loads:
        field = ngsolve.GridFunction(mfes)
        field.vec.data = minverse * load
        fields.append(field.vec.FV().NumPy().copy())
    fields = np.column_stack(fields)
    coupling = np.column_stack([load.FV().NumPy() for load in loads])
    # I_k = G_k U_k − jω ∫_k σ A dr dz; with A = Σ_j U_j A_j this is Y U.
    admittance = np.diag(conductance) - 1j * omega * (coupling.T @ fields)
    impedance, turn_voltages = _winding_impedance(windings, turns, admittance)
    timings["eddy_solve"] = time.perf_counter() - start

    # Copper loss per winding at the design currents, P = ∫|J|²/(2σ) 2πr (peak phasors).
    start = time.perf_counter()
    currents = np.array([design.excitation.currents[wd.name] for wd in windings], dtype=complex)
    u_turn = turn_voltages @ currents
    potential = ngsolve.GridFunction(mfes)
    potential.vec.FV().NumPy()[:] = fields @ u_turn
    source = ngsolve.CoefficientFunction([complex(u_turn[turns.index(n)]) if n in turns else 0j for n in names])
    copper = ngsolve.CoefficientFunction([1.0 if n in turns else 0.0 for n in names])
    safe_sigma = ngsolve.CoefficientFunction([s if s > 0 else 1.0 for s in sigma])
    density = safe_sigma * (-1j * omega * potential + source / (2 * np.pi * r))
    loss_density = copper * ngsolve.Norm(density) ** 2 / (2 * safe_sigma) * 2 * np.pi * r
    per_element = np.asarray(ngsolve.Integrate(loss_density, mesh, element_wise=True)).real
    region = region_mesh.element_region
    losses = {wd.name: float(sum(per_element[region == region_of[t]].sum() for t in wd.turns)) for wd in windings}
    timings["eddy_postprocess"] = time.perf_counter() - start
    logger.info("NGSolve %s: es %d dofs, eddy %d dofs, %s", ngsolve.__version__, es_unknowns, mfes.ndof, solver_name)
    return NGSolveResult(maxwell, conductor_list, impedance, losses, timings,
                         {"electrostatic": es_unknowns, "eddy_current": mfes.ndof}, ngsolve.__version__)


def _winding_impedance(windings, turns: list[str], admittance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Impose series strings and parallel groups on the turn admittance matrix.

    Unknowns: turn voltages U and string currents i_s. Equations: Y U = E i_s (each
    turn carries its string's current), equal voltage of parallel strings in a group,
    and group current = winding current. Returns Z (windings × windings) and U per unit
    winding current (turns × windings).
    """
    index = {t: i for i, t in enumerate(turns)}
    strings = [(wi, gi, s) for wi, wd in enumerate(windings) for gi, g in enumerate(wd.groups) for s in g]
    nt, ns, nw = len(turns), len(strings), len(windings)
    incidence = np.zeros((nt, ns))
    for s, (_, _, string) in enumerate(strings):
        for t in string:
            incidence[index[t], s] = 1.0
    rows, rhs = [], []
    for wi, wd in enumerate(windings):
        for gi, _ in enumerate(wd.groups):
            members = [s for s, (a, b, _) in enumerate(strings) if (a, b) == (wi, gi)]
            for other in members[1:]:
                rows.append(np.concatenate([incidence[:, other] - incidence[:, members[0]], np.zeros(ns)]))
                rhs.append(np.zeros(nw))
            row = np.zeros(nt + ns)
            row[nt + np.array(members)] = 1.0
            rows.append(row)
            e = np.zeros(nw)
            e[wi] = 1.0
            rhs.append(e)
    system = np.zeros((nt + len(rows), nt + ns), dtype=complex)
    system[:nt, :nt] = admittance
    system[:nt, nt:] = -incidence
    system[nt:] = np.array(rows)
    right = np.zeros((nt + len(rows), nw), dtype=complex)
    right[nt:] = np.array(rhs)
    solution = np.linalg.solve(system, right)
    voltages = solution[:nt]
    voltage_map = np.zeros((nw, nt))
    for wi, wd in enumerate(windings):
        for group in wd.groups:
            for t in group[0]:
                voltage_map[wi, index[t]] = 1.0
    return voltage_map @ voltages, voltages


def capacitance_quantities(design, model, names: list[str], maxwell: np.ndarray) -> dict[str, float]:
    """Apply femstack's capacitance post-processing to a Maxwell matrix (F); values in pF."""
    from femstack.post import capacitance as cap
    from femstack.solvers.electrostatic import eliminate_floating

    if design.core.electrostatic == "floating":
        turns_c, order = eliminate_floating(maxwell, names, ["core"])
    elif design.core.electrostatic == "grounded":
        order = [n for n in names if n != "core"]
        rows = [names.index(n) for n in order]
        turns_c = maxwell[np.ix_(rows, rows)]
    else:
        turns_c, order = maxwell, list(names)
    T, terminals = cap.terminal_map(order, model.series_positions())
    terminal_matrix = cap.terminal_capacitance(turns_c, T)
    windings = [w.name for w in design.windings]
    groups = [np.array([order.index(t.region) for t in model.turns[w]]) for w in windings[:2]]
    terms = design.terminals
    swing = {terms.switching: 1.0, **{q: 0.0 for q in terms.quiet}}
    switching = terms.switching.split(".")[0]
    receiving = [t for t in terminals if not t.startswith(f"{switching}.")]
    values = {
        "C_maxwell_max_pF": float(np.abs(maxwell).max()) * 1e12,
        "C_interwinding_pF": float(-cap.static_capacitance(turns_c, groups)[0, 1]) * 1e12,
        "C_cm_effective_pF": cap.common_mode_capacitance(terminal_matrix, terminals, swing, receiving) * 1e12,
    }
    for key, value in cap.pairwise_capacitances(terminal_matrix, terminals).items():
        if not key.endswith("|ground"):
            values[f"C[{key}]_pF"] = value * 1e12
    return values


def impedance_quantities(design, impedance: np.ndarray, losses: dict[str, float], frequency: float) -> dict[str, float]:
    """Leakage, magnetizing inductance, Z entries and Rac per winding from a Z matrix and losses."""
    from femstack.post import impedance as imp

    windings = [w.name for w in design.windings]
    values = {
        "L_leak_nH": imp.leakage_inductance(impedance, frequency) * 1e9,
        "L_mag_uH": imp.magnetizing_inductance(impedance, frequency, [w.turns for w in design.windings]) * 1e6,
    }
    for i, a in enumerate(windings):
        for j, b in enumerate(windings):
            values[f"ReZ[{a},{b}]_mOhm"] = impedance[i, j].real * 1e3
            values[f"ImZ[{a},{b}]_Ohm"] = impedance[i, j].imag
    for i, name in enumerate(windings):
        current = abs(design.excitation.currents[name])
        values[f"Rac_{name}_mOhm"] = 2.0 * losses[name] / current**2 * 1e3
    return values


def turn_loads(ngsolve, mesh, space, test, turns: list[str], names: list[str], sigma):
    """Assemble each turn's load ∫_k σ v dr dz (the field of 1 V around the turn) and its conductance.

    Returns the load vectors and the DC ring conductances G_k = ∫_k σ/(2πr) dr dz in S.
    """
    r = ngsolve.x
    loads, conductance = [], []
    for turn in turns:
        indicator = ngsolve.CoefficientFunction([1.0 if n == turn else 0.0 for n in names])
        load = ngsolve.LinearForm(space)
        load += indicator * sigma * test * ngsolve.dx
        load.Assemble()
        loads.append(load.vec)
        conductance.append(ngsolve.Integrate(indicator * sigma / (2 * np.pi * r), mesh).real)
    return loads, conductance


def _conductors(design, model) -> dict[str, list[str]]:
    """Return the electrostatic conductors: one per turn, plus the core unless it is a dielectric."""
    conductors = {t.region: [t.region] for turns in model.turns.values() for t in turns}
    if design.core.electrostatic in ("floating", "grounded"):
        conductors["core"] = list(model.core_regions) + list(model.conducting_gap_regions)
    return conductors


def reference_case(pattern: str, size_factor: float, order: int):
    """Return the design, model and gmsh mesh of one reference arrangement, and the meshing time in s."""
    import tomllib

    from femstack.design.loader import load_design, reference_design_path
    from femstack.geometries.axisymmetric import build_axisymmetric_model
    from femstack.geometries.mesher import mesh_layout

    raw = tomllib.loads(reference_design_path().read_text())
    raw["mesh"] = {"size_factor": size_factor, "element_order": order}
    design = load_design(raw).with_pattern(pattern)
    model = build_axisymmetric_model(design, pattern)
    start = time.perf_counter()
    region_mesh = mesh_layout(model.layout)
    return design, model, region_mesh, time.perf_counter() - start


def run_comparison(pattern: str = "PSPS", order: int = 2, frequency: float = 1e6, size_factor: float = 1.0) -> dict:
    """Solve one arrangement of the reference design with femstack and NGSolve on one mesh.

    Returns a JSON-ready dict with both sets of quantities, their relative differences,
    the wall time per stage and the unknowns of each code.
    """
    from femstack.pipeline import _eddy_problem
    from femstack.solvers.electrostatic import maxwell_capacitance

    _import_ngsolve()
    design, model, region_mesh, mesh_seconds = reference_case(pattern, size_factor, order)
    femstack_times = {"mesh_gmsh": mesh_seconds}

    # femstack, stage by stage.
    layout = model.layout
    conductors = _conductors(design, model)
    conductor_regions = {r for regions in conductors.values() for r in regions}
    permittivity = {n: layout.material(n).relative_permittivity for n in region_mesh.region_names
                    if n not in conductor_regions}
    start = time.perf_counter()
    es = maxwell_capacitance(region_mesh, permittivity, conductors, order=order)
    femstack_times["es_total"] = time.perf_counter() - start
    start = time.perf_counter()
    problem = _eddy_problem(design, model, region_mesh, order)
    femstack_times["eddy_assembly"] = time.perf_counter() - start
    start = time.perf_counter()
    solution = problem.solve(frequency)
    femstack_times["eddy_factorization_and_solve"] = time.perf_counter() - start
    currents = np.array([design.excitation.currents[w.name] for w in design.windings], dtype=complex)
    region_losses = solution.region_losses(currents)
    femstack_losses = {w.name: sum(region_losses[t.region] for t in model.turns[w.name]) for w in design.windings}

    ng = compare_with_ngsolve(design, model, region_mesh, order, frequency)
    ng_maxwell = ng.maxwell[np.ix_([ng.conductor_names.index(n) for n in es.names],
                                   [ng.conductor_names.index(n) for n in es.names])]

    fem_values = capacitance_quantities(design, model, es.names, es.maxwell)
    fem_values.update(impedance_quantities(design, solution.impedance, femstack_losses, frequency))
    ng_values = capacitance_quantities(design, model, es.names, ng_maxwell)
    ng_values.update(impedance_quantities(design, ng.impedance, ng.winding_losses, frequency))
    significant = np.abs(es.maxwell) > 1e-3 * np.abs(es.maxwell).max()
    maxwell_difference = float(np.max(np.abs(ng_maxwell - es.maxwell)[significant] / np.abs(es.maxwell)[significant]))
    rows = {
        key: {
            "femstack": fem_values[key],
            "ngsolve": ng_values[key],
            "relative_difference": (ng_values[key] - fem_values[key]) / abs(fem_values[key]) if fem_values[key] else 0.0,
        }
        for key in fem_values
    }
    return {
        "pattern": pattern,
        "element_order": order,
        "frequency_Hz": frequency,
        "triangles": region_mesh.n_elements,
        "quantities": rows,
        "maxwell_max_relative_difference": maxwell_difference,
        "maxwell_entries_compared": int(significant.sum()),
        "timings_s": {"femstack": femstack_times, "ngsolve": ng.timings},
        "unknowns": {"femstack": {"electrostatic": int(es.basis.N), "eddy_current": int(problem.basis.N)},
                     "ngsolve": ng.unknowns},
        "ngsolve_version": ng.version,
    }
