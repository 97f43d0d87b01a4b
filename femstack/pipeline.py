"""Run the whole pipeline for one arrangement, or compare several.

design → axisymmetric layout → gmsh mesh → electrostatic and eddy-current solves →
capacitance network, impedance matrix, leakage, AC resistance and losses.

Example
-------
>>> import femstack
>>> design = femstack.load_design(femstack.reference_design_path())   # doctest: +SKIP
>>> comparison = femstack.compare(design)                               # doctest: +SKIP
>>> comparison.table()                                                  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Callable

import numpy as np

from femstack.design.model import Design
from femstack.errors import DesignError
from femstack.geometries.axisymmetric import AxisymmetricModel, build_axisymmetric_model
from femstack.geometries.mesher import RegionMesh, mesh_layout
from femstack.post import capacitance as cap
from femstack.post import converters
from femstack.post.common_mode import CommonModeResult, common_mode_result
from femstack.post import impedance as imp
from femstack.solvers.eddy_current import EddyCurrentProblem, EddyCurrentSolution, WindingCircuit
from femstack.solvers.electrostatic import CapacitanceSolution, eliminate_floating, maxwell_capacitance

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str], None]

#: Keys of :attr:`ArrangementResult.timings`, in pipeline order. ``output`` is filled in
#: by the caller that writes the result (the command line's ``--out``), so it may be missing.
STAGES = ("geometry", "meshing", "assembly", "factorization", "solves", "post_processing", "output")


@dataclasses.dataclass
class FrequencyResult:
    """Magnetic results at one frequency. Phasors are peak values, e^{jωt}.

    Attributes
    ----------
    frequency
        Hz.
    impedance
        Winding impedance matrix Z = R + jωL in Ω (windings in design order).
    leakage_inductance
        Leakage inductance referred to the primary, other windings shorted, in H.
    leakage_inductance_energy
        The same from the field energy, 4·W_m/|I_1|² at the short-circuit currents, in H
        (a consistency check of the solve).
    magnetizing_inductance
        (N1/N2)·M12 in H, referred to the primary.
    ac_resistance
        Winding name → R_ac = 2·P_w/|I_w|² in Ω at the design's currents.
    copper_loss
        Winding name → time-averaged loss in W at the design's currents (P = ½ Re V I*).
    core_loss
        Eddy-current plus magnetic (µ'') loss in the core at the design's currents, W.
    input_power
        Σ ½ Re(V_w I_w*) at the design's currents, W; equals copper + core + shield loss.
    turn_loss
        Turn region name → time-averaged loss in W at the design's currents.
    shield_loss
        Eddy-current loss in the shield layers at the design's currents, W.
    """

    frequency: float
    impedance: np.ndarray
    leakage_inductance: float
    leakage_inductance_energy: float
    magnetizing_inductance: float
    ac_resistance: dict[str, float]
    copper_loss: dict[str, float]
    core_loss: float
    input_power: float
    turn_loss: dict[str, float] = dataclasses.field(default_factory=dict)
    shield_loss: float = 0.0


@dataclasses.dataclass
class CapacitanceResult:
    """Electrostatic results. Capacitances in F.

    Attributes
    ----------
    turn_names
        Rows of ``turn_maxwell`` (turn region names).
    turn_maxwell
        Turn-level Maxwell matrix with the core eliminated (floating) or held at 0 V
        (grounded).
    terminals, terminal_matrix
        Terminal names and C_T = Tᵀ C T with the potential linear along each winding.
    branches
        Pairwise terminal capacitances (``"P.start|S.end"``) and to ground.
    interwinding
        Static capacitance between the first two windings, each shorted, F. A shield tied
        to a terminal of one of them is shorted with that winding, so its capacitance to
        the other winding is included. Other conductors are held at 0 V (a shield tied to
        the quiet reference, a grounded core) or carry zero net charge (floating), so a
        shield at the quiet reference leaves only the direct capacitance that bypasses it.
    common_mode
        Charge into the receiving windings per volt of switching-node swing.
    core_floating_potential
        Potential of a floating core per volt of switching-node swing (None otherwise).
    common_mode_potentials
        Potential in V of every conductor of the electrostatic solution (turns and core,
        in its order) for 1 V on the switching node and 0 V on the quiet terminals.
    terminal_map
        T, the map from terminal potentials to the potentials of ``turn_names``
        (turns linear along their winding, a shield tied to a terminal at its potential).
    """

    turn_names: list[str]
    turn_maxwell: np.ndarray
    terminals: list[str]
    terminal_matrix: np.ndarray
    branches: dict[str, float]
    interwinding: float
    common_mode: float
    core_floating_potential: float | None
    common_mode_potentials: np.ndarray
    terminal_map: np.ndarray | None = None


@dataclasses.dataclass
class ArrangementResult:
    """Everything computed for one layer pattern."""

    design: Design
    pattern: str
    model: AxisymmetricModel
    region_mesh: RegionMesh
    capacitance: CapacitanceResult
    dc_resistance: dict[str, float]
    frequencies: list[FrequencyResult]
    timings: dict[str, float]
    electrostatic: CapacitanceSolution = dataclasses.field(repr=False)
    eddy: list[EddyCurrentSolution] = dataclasses.field(repr=False)
    element_order: int = 2
    common_mode: CommonModeResult | None = None

    def summary(self) -> dict[str, float | str]:
        """Return the headline numbers as a flat dict with units in the keys."""
        windings = [w.name for w in self.design.windings]
        out: dict[str, float | str] = {"pattern": self.pattern}
        out["C_interwinding_pF"] = self.capacitance.interwinding * 1e12
        out["C_cm_effective_pF"] = self.capacitance.common_mode * 1e12
        # Branches to ground are round-off when nothing is grounded (rows of C_T sum to 0).
        scale = float(np.abs(self.capacitance.terminal_matrix).max())
        for key, value in self.capacitance.branches.items():
            if not key.endswith("|ground") or abs(value) > 1e-9 * scale:
                out[f"C[{key}]_pF"] = value * 1e12
        out.update(self._common_mode_summary())
        for fr in self.frequencies:
            tag = frequency_tag(fr.frequency)
            if self.design.shields:
                out[f"P_shield_{tag}_mW"] = fr.shield_loss * 1e3
            out[f"L_leak_{tag}_nH"] = fr.leakage_inductance * 1e9
            out[f"L_mag_{tag}_uH"] = fr.magnetizing_inductance * 1e6
            for w in windings:
                out[f"Rac_{w}_{tag}_mOhm"] = fr.ac_resistance[w] * 1e3
                out[f"Rac/Rdc_{w}_{tag}"] = fr.ac_resistance[w] / self.dc_resistance[w]
            out[f"P_copper_{tag}_mW"] = sum(fr.copper_loss.values()) * 1e3
        for w in windings:
            out[f"Rdc_{w}_mOhm"] = self.dc_resistance[w] * 1e3
        return out


    def _common_mode_summary(self) -> dict[str, float]:
        """Return the common-mode rows of the summary (empty without a common-mode result)."""
        cm = self.common_mode
        if cm is None:
            return {}
        out = {"Q_cm_edge_nC": cm.charge_per_edge * 1e9}
        for group, value in cm.core_capacitance.items():
            out[f"C_core[{group}]_pF"] = value * 1e12
        for key in ("C1", "C2", "C3"):
            if key in cm.three_capacitor:
                out[f"C3model_{key}_pF"] = cm.three_capacitor[key] * 1e12
        if "C_equivalent_primary" in cm.three_capacitor:
            out["C3model_Ceq_pF"] = cm.three_capacitor["C_equivalent_primary"] * 1e12
        out["CM_margin_QP_dB"] = cm.margin["margin_quasi_peak_dB"]
        out["CM_margin_AV_dB"] = cm.margin["margin_average_dB"]
        return out


def frequency_tag(frequency: float) -> str:
    """Return a compact frequency label for keys and field names: 500kHz, 1MHz, 50Hz."""
    for scale, unit in ((1e6, "MHz"), (1e3, "kHz")):
        if frequency >= scale:
            return f"{frequency / scale:g}{unit}"
    return f"{frequency:g}Hz"


def run_arrangement(
    design: Design, pattern: str | None = None, *, progress: ProgressCallback | None = None
) -> ArrangementResult:
    """Mesh and solve ``design`` for one layer pattern.

    Parameters
    ----------
    design
        Validated design (see :func:`femstack.load_design`).
    pattern
        Layer pattern such as ``"PSPS"``; default: the design's first pattern.
    progress
        Called with a short message at each stage boundary (the CLI prints them).
    """
    pattern = pattern or design.arrangement.pattern
    # Validate the pattern (letters, length, turns per winding, fit) before any meshing.
    design = design.with_pattern(pattern)
    report = progress or (lambda message: None)
    timings: dict[str, float] = {name: 0.0 for name in STAGES[:6]}
    order = design.mesh.element_order

    def stage(name: str, started: float) -> None:
        timings[name] = time.perf_counter() - started
        logger.info("%s: %s done in %.2f s", pattern, name, timings[name])

    t = time.perf_counter()
    report(f"{pattern}: building geometry")
    model = build_axisymmetric_model(design, pattern)
    stage("geometry", t)

    t = time.perf_counter()
    report(f"{pattern}: meshing")
    region_mesh = mesh_layout(model.layout)
    if design.mesh.adaptive_steps:
        region_mesh = _adapt_mesh(design, model, region_mesh, order)
    stage("meshing", t)
    report(f"{pattern}: {region_mesh.n_elements} triangles")

    t = time.perf_counter()
    report(f"{pattern}: electrostatics")
    es_solution, capacitance = _electrostatics(design, model, region_mesh, order)
    common_mode = common_mode_result(design, model, capacitance, es_solution)
    es_total = time.perf_counter() - t
    for name, seconds in es_solution.timings.items():
        timings[name] = timings.get(name, 0.0) + seconds
    # What the solver did not time is the capacitance network built from C.
    timings["post_processing"] += es_total - sum(es_solution.timings.values())

    t = time.perf_counter()
    count = len(design.excitation.frequencies)
    report(f"{pattern}: eddy currents at {count} frequenc{'y' if count == 1 else 'ies'}")
    problem = _eddy_problem(design, model, region_mesh, order)
    dc = dict(zip([w.name for w in design.windings], problem.dc_resistance()))
    solutions = []
    results = []
    for frequency in design.excitation.frequencies:
        solution = problem.solve(frequency)
        solutions.append(solution)
        results.append(_frequency_result(design, model, solution))
    eddy_total = time.perf_counter() - t
    for name, seconds in problem.timings.items():
        timings[name] += seconds
    timings["post_processing"] += eddy_total - sum(problem.timings.values())
    for name in STAGES[2:6]:
        logger.info("%s: %s %.2f s", pattern, name, timings[name])

    return ArrangementResult(
        design=design,
        pattern=pattern,
        model=model,
        region_mesh=region_mesh,
        capacitance=capacitance,
        dc_resistance=dc,
        frequencies=results,
        timings=timings,
        electrostatic=es_solution,
        eddy=solutions,
        element_order=order,
        common_mode=common_mode,
    )


def _adapt_mesh(design: Design, model: AxisymmetricModel, rm: RegionMesh, order: int) -> RegionMesh:
    """Refine ``rm`` ``design.mesh.adaptive_steps`` times where the solutions' edge jumps are largest.

    Each step solves the electrostatic problem and the eddy-current problem at the
    highest frequency, marks triangles by Dörfler's rule (θ = 0.8) on the summed jump
    indicators and refines them (see :mod:`femstack.geometries.refinement`).
    """
    from femstack.geometries.refinement import design_indicators, dorfler_marking, refine_marked

    frequency = max(design.excitation.frequencies)
    for step in range(design.mesh.adaptive_steps):
        es, _ = _electrostatics(design, model, rm, order)
        solution = _eddy_problem(design, model, rm, order).solve(frequency)
        rm = refine_marked(rm, dorfler_marking(design_indicators(design, model, rm, es, solution), 0.8))
        logger.info("adaptive step %d: %d triangles", step + 1, rm.n_elements)
    return rm


def _electrostatics(design: Design, model: AxisymmetricModel, rm: RegionMesh, order: int):
    layout = model.layout
    mode = design.core.electrostatic
    turn_names = [t.region for turns in model.turns.values() for t in turns]
    conductors = {name: [name] for name in turn_names}
    core_conductor = list(model.core_regions) + list(model.conducting_gap_regions)
    # Shields: tied to the core they join its conductor; otherwise one conductor each.
    shield_regions = [r for regions in model.shields.values() for r in regions]
    for shield in design.shields:
        regions = list(model.shields.get(shield.name, ()))
        if not regions:
            continue
        if shield.connection == "core":
            core_conductor += regions
        else:
            conductors[f"shield/{shield.name}"] = regions
    if mode in ("floating", "grounded"):
        conductors["core"] = core_conductor
    permittivity = {
        name: layout.material(name).relative_permittivity
        for name in rm.region_names
        if name not in turn_names
        and name not in shield_regions
        and not (mode != "dielectric" and name in core_conductor)
    }
    solution = maxwell_capacitance(rm, permittivity, conductors, order=order)

    names = solution.names
    C = solution.maxwell
    floating = [f"shield/{s.name}" for s in design.shields if s.connection == "floating" and f"shield/{s.name}" in names]
    if mode == "floating":
        floating = ["core", *floating]
    kept = [n for n in names if n not in floating and not (mode == "grounded" and n == "core")]
    kept_rows = [names.index(n) for n in kept]
    floating_rows = [names.index(n) for n in floating]
    if floating:
        C_turns, turn_order = eliminate_floating(C[np.ix_(kept_rows + floating_rows, kept_rows + floating_rows)], kept + floating, floating)
        # V_f = -C_ff^-1 C_fa V_a: the floating potentials per volt on each kept conductor.
        floating_share = -np.linalg.solve(C[np.ix_(floating_rows, floating_rows)], C[np.ix_(floating_rows, kept_rows)])
    else:
        turn_order = kept
        C_turns = C[np.ix_(kept_rows, kept_rows)]
        floating_share = np.zeros((0, len(kept)))

    T, terminals = terminal_map_with_shields(design, model, turn_order)
    C_T = cap.terminal_capacitance(C_turns, T)
    branches = cap.pairwise_capacitances(C_T, terminals)

    windings = [w.name for w in design.windings]
    groups = []
    for w in windings[:2]:
        rows = [turn_order.index(t.region) for t in model.turns[w]]
        # A shield tied to a terminal of this winding is shorted with it in the static case.
        rows += [
            turn_order.index(f"shield/{s.name}")
            for s in design.shields
            if f"shield/{s.name}" in turn_order and s.connection.split(".")[0] == w
        ]
        groups.append(np.array(rows))
    interwinding = float(-cap.static_capacitance(C_turns, groups)[0, 1]) if len(groups) > 1 else 0.0

    terms = design.terminals
    swing = converters.terminal_swings(design)
    switching_winding = terms.switching.split(".")[0]
    receiving = [t for t in terminals if not t.startswith(f"{switching_winding}.")]
    common_mode = cap.common_mode_capacitance(C_T, terminals, swing, receiving)

    # Conductor potentials of the common-mode excitation, in the Maxwell matrix's order.
    v_turns = T @ np.array([swing.get(name, 0.0) for name in terminals])
    conductor_potentials = np.zeros(len(names))
    conductor_potentials[[names.index(n) for n in turn_order]] = v_turns
    core_potential = None
    if floating:
        v_kept = np.array([v_turns[turn_order.index(n)] if n in turn_order else 0.0 for n in kept])
        v_floating = floating_share @ v_kept
        conductor_potentials[floating_rows] = v_floating
        if mode == "floating":
            core_potential = float(v_floating[0])

    return solution, CapacitanceResult(
        turn_names=turn_order,
        turn_maxwell=C_turns,
        terminals=terminals,
        terminal_matrix=C_T,
        branches=branches,
        interwinding=interwinding,
        common_mode=common_mode,
        core_floating_potential=core_potential,
        common_mode_potentials=conductor_potentials,
        terminal_map=T,
    )


def terminal_map_with_shields(design: Design, model: AxisymmetricModel, conductors: list[str]):
    """Return T and the terminal names: turns linear along their winding, tied shields at their terminal.

    ``conductors`` are the rows of the reduced Maxwell matrix (turns and shields that
    are not floating). A shield tied to the quiet reference keeps a zero row, so it
    stays at 0 V and its charge flows to the reference, not to a terminal.
    """
    T, terminals = cap.terminal_map(conductors, model.series_positions())
    for shield in design.shields:
        row = f"shield/{shield.name}"
        if row in conductors and shield.connection in terminals:
            T[conductors.index(row), terminals.index(shield.connection)] = 1.0
    return T, terminals


def _eddy_problem(design: Design, model: AxisymmetricModel, rm: RegionMesh, order: int) -> EddyCurrentProblem:
    layout = model.layout
    permeability = {n: layout.material(n).relative_permeability for n in rm.region_names}
    conductivity = {
        n: layout.material(n).conductivity for n in rm.region_names if layout.material(n).conductivity > 0
    }
    circuits = winding_circuits(design, model)
    circuits += shield_circuits(model, conductivity)
    return EddyCurrentProblem(rm, permeability, conductivity, circuits, order=order, solver=design.mesh.solver)


def winding_circuits(design: Design, model: AxisymmetricModel) -> list[WindingCircuit]:
    """Return each winding's circuit: series groups of parallel layer strings of turns.

    A string lists one layer's turns in series order. The strings of one group are in
    parallel, and the groups of a winding are in series.
    """
    circuits = []
    for winding in design.windings:
        turns = model.turns[winding.name]
        groups = []
        for g in sorted({t.group for t in turns}):
            in_group = [t for t in turns if t.group == g]
            strings = []
            for layer in sorted({t.layer for t in in_group}):
                string = sorted((t for t in in_group if t.layer == layer), key=lambda t: t.position)
                strings.append(tuple(t.region for t in string))
            groups.append(tuple(strings))
        circuits.append(WindingCircuit(winding.name, tuple(groups)))
    return circuits


def shield_circuits(model: AxisymmetricModel, conductivity: dict[str, float]) -> list[WindingCircuit]:
    """Return one open circuit per conducting shield ring, after the windings.

    A slit shield ring is a solid conductor whose net circumferential current is zero:
    the solver's current constraint with I = 0, so eddy currents circulate within its
    cross-section only. Each ring is its own circuit, because the slits of the rings are
    not connected. A comb (zero conductivity) has no circuit.
    """
    circuits = []
    for regions in model.shields.values():
        for region in regions:
            if conductivity.get(region, 0.0) > 0.0:
                circuits.append(WindingCircuit(region, (((region,),),)))
    return circuits


def circuit_currents(design: Design, solution: EddyCurrentSolution, currents) -> np.ndarray:
    """Return the winding currents padded with zeros for the open shield circuits."""
    full = np.zeros(solution.impedance.shape[0], dtype=complex)
    full[: len(design.windings)] = currents
    return full


def _frequency_result(design: Design, model: AxisymmetricModel, solution: EddyCurrentSolution) -> FrequencyResult:
    windings = [w.name for w in design.windings]
    currents = np.array([design.excitation.currents[w] for w in windings], dtype=complex)
    # Shield circuits carry no net current, so the winding block of Z is the winding
    # impedance matrix with the shields in place.
    Z = solution.impedance[: len(windings), : len(windings)]
    f = solution.frequency
    all_currents = circuit_currents(design, solution, currents)

    losses = solution.region_losses(all_currents)
    copper = {
        w: sum(losses.get(t.region, 0.0) for t in model.turns[w]) for w in windings
    }
    turn_regions = {t.region for turns in model.turns.values() for t in turns}
    shield_regions = {r for regions in model.shields.values() for r in regions}
    shield_loss = sum(v for k, v in losses.items() if k in shield_regions)
    eddy_core = sum(v for k, v in losses.items() if k not in turn_regions and k not in shield_regions)
    magnetic_loss, _ = solution.magnetic_loss_and_energy(all_currents)
    # Rac is undefined for a winding without current (an open winding): NaN.
    rac = {
        w: 2.0 * copper[w] / abs(currents[i]) ** 2 if abs(currents[i]) > 0.0 else float("nan")
        for i, w in enumerate(windings)
    }

    sc_currents = circuit_currents(design, solution, imp.short_circuit_currents(Z))
    _, energy = solution.magnetic_loss_and_energy(sc_currents)
    return FrequencyResult(
        frequency=f,
        impedance=Z,
        leakage_inductance=imp.leakage_inductance(Z, f),
        leakage_inductance_energy=4.0 * energy,
        magnetizing_inductance=imp.magnetizing_inductance(Z, f, [w.turns for w in design.windings]),
        ac_resistance=rac,
        copper_loss=copper,
        core_loss=eddy_core + magnetic_loss,
        input_power=solution.input_power(all_currents).real,
        turn_loss={t.region: losses.get(t.region, 0.0) for turns in model.turns.values() for t in turns},
        shield_loss=shield_loss,
    )


@dataclasses.dataclass
class Comparison:
    """Results of several arrangements of one design."""

    design: Design
    results: list[ArrangementResult]

    def table(self):
        """Return a pandas DataFrame: one row per quantity, one column per pattern."""
        import pandas as pd

        columns = {r.pattern: r.summary() for r in self.results}
        frame = pd.DataFrame(columns)
        return frame.drop(index="pattern").astype(float)


def compare(
    design: Design,
    patterns: list[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    on_result: Callable[[ArrangementResult], None] | None = None,
    workers: int | None = None,
) -> Comparison:
    """Run every pattern (default: the design's list) and collect the results.

    ``on_result`` is called with each arrangement's result as soon as it is finished,
    so a caller can save it before the next one starts: if a later arrangement fails,
    the finished ones are not lost.

    ``workers`` processes run the arrangements side by side (:mod:`femstack.parallel`);
    the default is one per arrangement, at most one per core, and 1 runs them one after
    another in this process.
    """
    if patterns is not None and len(patterns) == 0:
        raise DesignError("patterns", [], "expected at least one layer pattern, such as ['PSPS']")
    patterns = list(patterns if patterns is not None else design.arrangement.patterns)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise DesignError("workers", workers, "expected a whole number of processes >= 1")
    from femstack import parallel

    workers = min(workers, len(patterns)) if workers is not None else parallel.default_workers(len(patterns))
    if workers > 1:
        # Validate every pattern here, so a bad one fails before any process starts.
        for pattern in patterns:
            design.with_pattern(pattern)
        results = parallel.run_arrangements(design, patterns, workers, progress=progress, on_result=on_result)
        return Comparison(design, results)
    results = []
    for pattern in patterns:
        result = run_arrangement(design, pattern, progress=progress)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return Comparison(design, results)
