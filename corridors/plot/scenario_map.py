"""The figures of a scenario run: the scenario map over the house base map, and the baseline comparison.

Both take plain tables and geometries (working CRS), not the scenario's
objects, so the plot package stays below :mod:`corridors.scenario` in the
layer order; :mod:`corridors.scenario.outputs` calls them and saves the
figures with :func:`corridors.plot.save.save_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from corridors.plot.labels import place_labels
from corridors.plot.style import STYLE, add_north_arrow, add_scale_bar, base_map

#: Colour of each intervention type on the scenario map.
TYPE_COLOURS: dict[str, str] = {
    "corridor_restoration": "#2b8a3e",
    "riparian_reforestation": "#66a61e",
    "protected_area": "#1971c2",
    "border_permeability": "#e67700",
    "habitat_loss": "#c92a2a",
    "reintroduction": "#7048e8",
    "population_control": "#862e9c",
}


def scenario_map(
    sites: Any,
    nodes: Any,
    links: Any,
    *,
    bounds: tuple[float, float, float, float],
    title: str,
    mosaic: np.ndarray | None = None,
    mosaic_extent: tuple[float, float, float, float] | None = None,
    corridor_width_m: float = 200000.0,
    interventions: Any = None,
    paths: Any = None,
    site_scores: Any = None,
    unresolved: Sequence[str] = (),
) -> Figure:
    """The scenario map over the programme base map: corridors, network, candidate sites and interventions.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        All sites (working CRS) with columns id, population_unit (list of
        ints) and, if present, code (the label of a node).
    nodes : pandas.DataFrame
        Network nodes (index: site id) with their capacity (ha): marker size.
    links : pandas.DataFrame
        Network links with columns i, j and probability (width and opacity, log scale; p < 1e-4 not drawn).
    bounds : (float, float, float, float)
        Map frame in working-CRS metres.
    title : str
    mosaic : numpy.ndarray, optional
        Truncated normalized corridor mosaic (cost-weighted m, NaN outside), drawn from 0 to ``corridor_width_m``.
    mosaic_extent : (left, bottom, right, top), optional
        Bounds of the mosaic's grid (required with ``mosaic``).
    corridor_width_m : float, default 200000
        Truncation of the mosaic (the colour scale's top).
    interventions : geopandas.GeoDataFrame, optional
        Intervention areas with a ``type`` column (colours: :data:`TYPE_COLOURS`); lines are drawn as lines.
    paths : geopandas.GeoDataFrame, optional
        Least-cost paths of the candidate corridors.
    site_scores : pandas.DataFrame, optional
        Scored candidate sites (index: site id) with their ``rank``: stars labelled ``#rank``.
    unresolved : sequence of str
        Places the programme names but could not be located, listed beside the map.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = base_map(bounds=bounds)
    z = STYLE["z"]["overlay"]
    if mosaic is not None and np.isfinite(mosaic).any():
        l, b_, r, t = mosaic_extent
        ax.imshow(np.ma.masked_invalid(mosaic), extent=(l, r, b_, t), cmap="YlGn_r", alpha=0.55, zorder=z,
                  interpolation="nearest", vmin=0, vmax=corridor_width_m)
    handles = []
    if interventions is not None:
        for typ, grp in interventions.groupby("type", sort=True):
            col = TYPE_COLOURS.get(typ, "k")
            lines = grp.geom_type.isin(["LineString", "MultiLineString"])
            if (~lines).any():
                grp[~lines].plot(ax=ax, facecolor=col, edgecolor=col, alpha=0.35, linewidth=1.2, zorder=z + 1)
            if lines.any():  # borders: drawn as lines, a fill would close them into false polygons
                grp[lines].plot(ax=ax, color=col, linewidth=2.5, alpha=0.8, zorder=z + 1)
            handles.append(Line2D([], [], color=col, lw=2.5, label=typ.replace("_", " ")) if lines.all()
                           else Patch(facecolor=col, edgecolor=col, alpha=0.5, label=typ.replace("_", " ")))
    geo = dict(zip(sites["id"], sites.geometry))
    for _, row in links.iterrows():
        p = float(row.get("probability", 0))
        if p < 1e-4:
            continue
        w = min(1.0, (math.log10(p) + 4) / 4)  # 1e-4 -> 0, 1 -> 1: probabilities span decades
        a, b = geo[row["i"]].centroid, geo[row["j"]].centroid
        ax.plot([a.x, b.x], [a.y, b.y], color="#364fc7", lw=0.4 + 3 * w, alpha=0.2 + 0.6 * w, zorder=z + 2)
    if paths is not None and len(paths):
        paths.plot(ax=ax, color="#d9480f", linewidth=1.4, linestyle="--", zorder=z + 3)
        handles.append(Line2D([], [], color="#d9480f", ls="--", label="candidate corridor (least-cost path)"))
    cap = nodes["capacity"].to_numpy(dtype=float)
    size = 15 + 220 * np.sqrt(cap / cap.max()) if cap.max() > 0 else np.full(len(cap), 30.0)
    unit_col = STYLE["unit_colours"]
    cols = []
    for nid in nodes.index:
        units = sites.loc[sites["id"] == nid, "population_unit"].iloc[0]
        cols.append(unit_col.get(units[0] if units else 8, "k"))
    xs = [geo[n].centroid.x for n in nodes.index]
    ys = [geo[n].centroid.y for n in nodes.index]
    ax.scatter(xs, ys, s=size, c=cols, edgecolors="k", linewidths=0.6, zorder=z + 4)
    texts, anchors = [], []
    for n, x, y in zip(nodes.index, xs, ys):
        code = sites.loc[sites["id"] == n, "code"].iloc[0] if "code" in sites else None
        texts.append(ax.text(x, y, f" {code or n}", fontsize=6.5, zorder=z + 6, va="bottom", gid=f"label:{n}"))
        anchors.append((x, y))
    if site_scores is not None and len(site_scores):
        for sid, row in site_scores.iterrows():
            g = geo[sid]
            ax.scatter([g.x], [g.y], marker="*", s=110, c="#f59f00", edgecolors="k", linewidths=0.5, zorder=z + 5)
            texts.append(ax.text(g.x, g.y, f" #{int(row['rank'])}", fontsize=6.5, zorder=z + 6, va="top",
                                 gid=f"label:{sid}"))
            anchors.append((g.x, g.y))
        handles.append(Line2D([], [], marker="*", color="w", markerfacecolor="#f59f00", markeredgecolor="k",
                              markersize=10, label="candidate site (#score rank)"))
    handles.append(Line2D([], [], marker="o", color="w", markerfacecolor="0.6", markeredgecolor="k", markersize=8,
                          label="population (size: habitat capacity)"))
    handles.append(Line2D([], [], color="#364fc7", lw=2, alpha=0.6, label="network link (width: log probability, p >= 1e-4)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    if len(unresolved):
        ax.text(1.01, 0.0, "Not mapped (unresolved in the programme):\n" + "\n".join(map(str, unresolved)),
                transform=ax.transAxes, ha="left", va="bottom", fontsize=6.5)
    ax.set_title(title, fontsize=10)
    add_scale_bar(ax)
    add_north_arrow(ax)
    # last, once the legend, note and title have set the axes' size (the placer measures in pixels)
    try:
        place_labels(ax, texts, anchors, sym_xy=anchors)
    except Exception:  # label placement is cosmetic; never fail a run on it
        pass
    return fig


def comparison_figure(ec_by_system: Any, ec_by_measure: Any = None, name: str = "") -> Figure:
    """Baseline against scenario: EC change per river system, and the effect of each measure alone.

    Parameters
    ----------
    ec_by_system : pandas.DataFrame
        Index river_system; columns ec_base_ha, ec_ha, ec_change_pct.
    ec_by_measure : pandas.DataFrame, optional
        Index (measure, river_system); columns what, ec_change_pct. Without it the right panel stays empty.
    name : str
        The scenario's name, in the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    eb = ec_by_system
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    x = np.arange(len(eb))
    ch = eb["ec_change_pct"].fillna(0.0).to_numpy()
    axes[0].bar(x, ch, 0.6, color=["#2b8a3e" if c >= 0 else "#c92a2a" for c in ch])
    for xi, c, b, a in zip(x, ch, eb["ec_base_ha"], eb["ec_ha"]):
        axes[0].text(xi, c, f"{c:+.2f}%\n{b / 1000:,.1f} -> {a / 1000:,.1f}k ha", ha="center",
                     va="bottom" if c >= 0 else "top", fontsize=7)
    axes[0].axhline(0, color="0.3", lw=0.8)
    axes[0].set_xticks(x, [s.replace("_", " ") for s in eb.index], fontsize=8)
    axes[0].set_ylabel("EC(PC) change against the baseline (%)")
    axes[0].set_title(f"{name}: EC per river system", fontsize=10)
    axes[0].margins(y=0.25)
    bm = ec_by_measure
    if bm is not None:
        allrows = bm.xs("all", level="river_system")
        axes[1].barh(np.arange(len(allrows)), allrows["ec_change_pct"], color="#2b8a3e")
        labels = ["all measures together" if m == "all" else f"{m} ({w.replace('_', ' ')})"
                  for m, w in zip(allrows.index, allrows["what"])]
        axes[1].set_yticks(np.arange(len(allrows)), labels, fontsize=7)
        axes[1].invert_yaxis()
        axes[1].axvline(0, color="0.3", lw=0.8)
        axes[1].set_xlabel("EC change against the baseline (%)")
        axes[1].set_title("Effect of each measure alone", fontsize=10)
    else:
        axes[1].axis("off")
    return fig
