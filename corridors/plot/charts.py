"""Charts of results that are not maps: the rank robustness of scored options and the comparison of a batch."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from corridors.plot.save import CHART_SAVE, save_figure
from corridors.scoring import RobustnessResult


class Outcome(Protocol):
    """What :func:`plot_comparison` reads of a scenario's outcome (:class:`corridors.batch.BatchOutcome` has it)."""

    name: str
    ok: bool
    summary: Mapping[str, Any]


def plot_robustness(result: RobustnessResult, title: str = "", ax: Axes | None = None,
                    labels: Mapping[str, str] | None = None) -> Figure:
    """Draw the rank distribution of every option and its probability of being in the top k.

    Each row is one option (best base rank at the top); cells shade by the
    share of draws at that rank; the right margin prints P(top k).

    Parameters
    ----------
    result : RobustnessResult
    title : str, optional
    ax : matplotlib Axes, optional
        Draw here (default: a new figure).
    labels : mapping of str to str, optional
        Option id -> the name shown on its row (default: the ids).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    tab = result.table()
    counts = result.rank_counts().loc[tab.index]
    share = counts.to_numpy() / result.ranks.shape[0]
    n = len(tab)
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * n + 3.5), max(2.5, 0.38 * n + 1.4)), layout="constrained")
    else:
        fig = ax.figure
    im = ax.imshow(share, cmap="Greens", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(n), [(labels or {}).get(str(o), str(o)) for o in tab.index], fontsize=8)
    ax.set_xticks(range(n), [str(i) for i in range(1, n + 1)], fontsize=8)
    ax.set_xlabel("rank (1 = best)")
    ax.axvline(result.top_k - 0.5, color="0.3", lw=0.8, ls="--")
    col = f"p_top{result.top_k}"
    for i, p in enumerate(tab[col]):
        ax.text(n - 0.4, i, f" P(top {result.top_k}) {p:.0%}", va="center", ha="left", fontsize=7)
    sub = f"{result.ranks.shape[0]} draws, seed {result.seed}"
    if result.dispersal_m is not None:
        sub += f", dispersal {result.dispersal_m.min() / 1000:.0f}-{result.dispersal_m.max() / 1000:.0f} km"
    if result.variant is not None:
        n_land = int(result.variant.max()) + 1
        sub += f", {n_land} perturbed landscape{'s' if n_land > 1 else ''} (locations, resistances)"
    ax.set_title(f"{title}\n{sub}" if title else sub, fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8, label="share of draws", location="left", pad=0.15)
    return fig


def plot_comparison(outcomes: Sequence[Outcome], path: str | os.PathLike) -> Path:
    """Compare scenarios: EC per river system (bars) and the change against each scenario's baseline.

    Parameters
    ----------
    outcomes : sequence of BatchOutcome
        Or anything with ``name``, ``ok`` and ``summary`` (:class:`Outcome`).
    path : path-like
        PNG file; an SVG is written beside it.

    Returns
    -------
    pathlib.Path
        The PNG.
    """
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ok = [o for o in outcomes if o.ok]
    systems = sorted({k[3:-3] for o in ok for k in o.summary if k.startswith("ec_") and k.endswith("_ha")
                      and k not in ("ec_ha", "ec_base_ha")})
    names = [o.name for o in ok]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, max(3.0, 0.45 * len(ok) + 1.5)), layout="constrained")
    y = np.arange(len(ok))
    left = np.zeros(len(ok))
    cmap = plt.get_cmap("tab10")
    for i, s in enumerate(systems or ["total"]):
        key = f"ec_{s}_ha" if systems else "ec_ha"
        vals = np.array([float(o.summary.get(key) or 0.0) for o in ok]) / 1000.0
        ax1.barh(y, vals, left=left, color=cmap(i % 10), label=s.replace("_", " "))
        left += vals
    ax1.set_yticks(y, names, fontsize=8)
    ax1.invert_yaxis()
    ax1.set_xlabel("EC(PC) of each river system's network, thousand ha (stacked)")
    ax1.set_title("Equivalent connected area by river system", fontsize=10)
    ax1.legend(fontsize=7, loc="lower right")
    change = np.array([float(o.summary.get("ec_change_pct") or 0.0) for o in ok])
    colors = ["#2b8a3e" if c > 0 else ("#c92a2a" if c < 0 else "0.6") for c in change]
    ax2.barh(y, change, color=colors)
    ax2.axvline(0, color="0.3", lw=0.8)
    ax2.set_yticks(y, [""] * len(ok))
    ax2.invert_yaxis()
    ax2.set_xlabel("EC change against the scenario's baseline (%)")
    ax2.set_title("Effect of the interventions", fontsize=10)
    for yi, c in zip(y, change):
        ax2.text(c, yi, f" {c:+.1f}%", va="center", ha="left" if c >= 0 else "right", fontsize=7)
    failed = [o.name for o in outcomes if not o.ok]
    if failed:
        fig.text(0.01, 0.0, "failed: " + ", ".join(failed), fontsize=7, color="#c92a2a", va="bottom")
    p = Path(path)
    save_figure(fig, p.with_suffix(""), ("png", "svg"), **CHART_SAVE, tight=False, close=True)
    return p
