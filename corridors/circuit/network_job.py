"""Network Circuitscape jobs (``data_type = network``), as Circuitscape.jl's ``network/pairwise.jl`` and ``network/advanced.jl`` run them."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from corridors._errors import DataError
from corridors.circuit import inputs
from corridors.circuit.graph import CircuitGraph, network_graph
from corridors.circuit.job import JobContext, JobResult, pair_solves
from corridors.circuit.modes import apply_ground_policy
from corridors.circuit.solve import circuitscape_branch_currents, circuitscape_node_currents


def _network_graph(net: inputs.Network) -> CircuitGraph:
    """The network's graph with every node 0..max (Circuitscape's numbering: ids missing from the file are isolated nodes)."""
    return network_graph(net.a, net.b, net.conductance, is_resistance=False, label="habitat_file", names=net.ids())


def _branch_rows(names: np.ndarray, lap_c: sp.csr_array, v: np.ndarray) -> list[tuple]:
    """Branch currents ``(from id, to id, current)`` as Circuitscape writes them: currents of 1e-6 A or less left out."""
    r, c, cur = circuitscape_branch_currents(lap_c, v)
    keep = ~np.isclose(cur, 0.0, rtol=0.0, atol=1e-6)
    return [(int(names[a]), int(names[b]), float(x)) for a, b, x in zip(r[keep], c[keep], cur[keep])]


def network_pairwise(ctx: JobContext) -> JobResult:
    job = ctx.job
    net = inputs.read_network(ctx.file("habitat_file"), job.habitat_map_is_resistances)
    graph = _network_graph(net)
    names = graph.names
    fp = inputs.read_node_list(ctx.file("point_file"), "point_file")
    pnode = net.index(fp)
    cur_maps = job.write_cur_maps
    cum_node = np.zeros(graph.n_nodes)
    file_pairs = {}
    for k, (a, b) in enumerate(zip(net.a.tolist(), net.b.tolist())):
        file_pairs.setdefault((a, b), k)
    cum_branch = np.zeros(len(net.a))

    def on_pair(a, b, nodes_c, lap_c, v):
        name = f"{a}_{b}"
        cn = names[nodes_c]
        if job.write_volt_maps:
            ctx.sink.table(f"voltages_{name}.txt", [(int(x), float(y)) for x, y in zip(cn, v)])
        if not cur_maps:
            return
        cur = circuitscape_node_currents(lap_c, v)
        cum_node[nodes_c] += cur
        rows = _branch_rows(cn, lap_c, v)
        r, c, bc = circuitscape_branch_currents(lap_c, v)
        for x, y, z in zip(cn[r], cn[c], bc):
            k = file_pairs.get((int(x), int(y)), file_pairs.get((int(y), int(x))))
            if k is not None:
                cum_branch[k] += z
        if not job.write_cum_cur_map_only:
            ctx.sink.table(f"node_currents_{name}.txt", [(int(x), float(y)) for x, y in zip(cn, cur)])
            ctx.sink.table(f"branch_currents_{name}.txt", rows)

    maps = job.write_volt_maps or cur_maps
    ctx.total = pair_solves(graph, pnode)
    res = ctx.pairs(graph, pnode, fp, set(), maps, on_pair if maps else None)
    if cur_maps:
        ctx.sink.table("node_currents_cum.txt", [(int(x), float(y)) for x, y in zip(names, cum_node)])
        keep = ~np.isclose(cum_branch, 0.0, rtol=0.0, atol=1e-6)
        ctx.sink.table("branch_currents_cum.txt", [(int(a), int(b), float(c)) for a, b, c in
                                                   zip(net.a[keep], net.b[keep], cum_branch[keep])])
    return JobResult(job, ids=fp, resistances=res, node_ids=names, stats=ctx.stats)


def network_advanced(ctx: JobContext) -> JobResult:
    job = ctx.job
    net = inputs.read_network(ctx.file("habitat_file"), job.habitat_map_is_resistances)
    graph = _network_graph(net)
    names = graph.names
    s_ids, s_val = inputs.read_node_values(ctx.file("source_file"), "source_file")
    g_ids, g_val = inputs.read_node_values(ctx.file("ground_file"), "ground_file")
    for key, ids_ in (("source_file", s_ids), ("ground_file", g_ids)):
        if (net.index(ids_) < 0).any():
            bad = int(ids_[net.index(ids_) < 0][0])
            raise DataError(f"{key}: {ctx.file(key)}: node {bad} is not in the network; list only its nodes.")
    if job.use_unit_currents:
        s_val = (s_val != 0).astype("float64")
    if job.ground_file_is_resistances:
        with np.errstate(divide="ignore"):
            g_val = 1.0 / g_val
    if job.use_direct_grounds:
        g_val = np.where(g_val != 0, np.inf, 0.0)
    sources = np.zeros(graph.n_nodes)
    grounds = np.zeros(graph.n_nodes)
    sources[net.index(s_ids)] = s_val  # a node listed twice keeps its last value, as in Circuitscape
    grounds[net.index(g_ids)] = g_val
    sources, grounds = apply_ground_policy(sources, grounds, job.remove_src_or_gnd)
    v = ctx.advanced(graph, sources, grounds)
    if job.write_volt_maps:
        ctx.sink.table("voltages.txt", [(int(x), float(y)) for x, y in zip(names, v)])
    if job.write_cur_maps:
        finite = np.where(np.isinf(grounds), 0.0, grounds)
        cur = circuitscape_node_currents(graph.laplacian, v, finite)
        ctx.sink.table("node_currents.txt", [(int(x), float(y)) for x, y in zip(names, cur)])
        ctx.sink.table("branch_currents.txt", _branch_rows(names, graph.laplacian, v))
    return JobResult(job, voltages=v, node_ids=names, stats=ctx.stats)
