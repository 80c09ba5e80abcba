"""Figures of a budgeted portfolio run: the efficient frontier and how often each intervention is chosen."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from corridors.plot.style import STYLE

#: Colours of the exact frontier and of greedy.
EXACT_COLOUR = "#1b7837"
GREEDY_COLOUR = "#762a83"


def plot_frontier(frontier: pd.DataFrame, *, unit: str = "", highlight: Sequence[float] = (),
                  title: str | None = None, placeholder: bool = False) -> Figure:
    """The efficient frontier: best EC gain against the budget, the greedy portfolio beside it.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Columns budget, ec_gain_ha, greedy_ec_gain_ha, n_chosen
        (:func:`corridors.portfolio.frontier.frontier`).
    unit : str
        Cost unit, for the axis label.
    highlight : sequence of float
        Budgets to mark (the requested ones).
    title : str, optional
    placeholder : bool, default False
        The costs are placeholders: said on the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fr = frontier.sort_values("budget")
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    ax.step(fr["budget"], fr["ec_gain_ha"], where="post", color=EXACT_COLOUR, lw=2, label="best portfolio (exact)")
    ax.plot(fr["budget"], fr["ec_gain_ha"], "o", color=EXACT_COLOUR, ms=4)
    if "greedy_ec_gain_ha" in fr and fr["greedy_ec_gain_ha"].notna().any():
        ax.step(fr["budget"], fr["greedy_ec_gain_ha"], where="post", color=GREEDY_COLOUR, lw=1.2, ls="--",
                label="greedy (best gain per cost first)")
    for b in highlight:
        row = fr.iloc[int(np.argmin(np.abs(fr["budget"].to_numpy() - b)))]
        ax.axvline(b, color="0.6", lw=0.8, ls=":")
        ax.annotate(f"{int(row['n_chosen'])} measures", (row["budget"], row["ec_gain_ha"]), textcoords="offset points",
                    xytext=(4, -12), fontsize=STYLE["font_size"])
    ax.set_xlabel(f"budget ({unit})" if unit else "budget")
    ax.set_ylabel("EC gain (ha)")
    ax.grid(True, color="0.9", lw=0.6)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set_ylim(bottom=min(0.0, float(fr["ec_gain_ha"].min())))
    ax.set_title(title or "Efficient frontier", fontsize=10, loc="left")
    if placeholder:
        ax.text(0.01, 0.98, "costs are placeholders (data/programme/costs.yml)", transform=ax.transAxes, va="top",
                fontsize=8, color="#b2182b")
    fig.tight_layout()
    return fig


def plot_selection(frequency: pd.DataFrame, labels: dict[str, str] | None = None, *,
                   title: str | None = None) -> Figure:
    """How often each intervention is in the best portfolio across the Monte Carlo draws, per budget.

    Parameters
    ----------
    frequency : pandas.DataFrame
        Index: candidate; one column per budget, values 0-1
        (:func:`corridors.portfolio.frontier.selection_frequency`).
    labels : dict, optional
        Candidate -> label shown.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    f = frequency.loc[frequency.max(axis=1).sort_values(ascending=True).index]
    names = [(labels or {}).get(i, i) for i in f.index]
    fig, ax = plt.subplots(figsize=(7.5, 0.22 * len(f) + 1.4))
    im = ax.imshow(f.to_numpy(), aspect="auto", cmap="Greens", vmin=0, vmax=1, origin="lower")
    ax.set_yticks(range(len(f)), names, fontsize=7)
    ax.set_xticks(range(f.shape[1]), [c.replace("budget_", "") for c in f.columns], fontsize=8)
    ax.set_xlabel("budget")
    for (r, c), v in np.ndenumerate(f.to_numpy()):
        if v > 0:
            ax.text(c, r, f"{100 * v:.0f}%", ha="center", va="center", fontsize=6, color="white" if v > 0.6 else "0.2")
    fig.colorbar(im, ax=ax, label="share of draws chosen", fraction=0.04)
    ax.set_title(title or "How often each intervention is chosen", fontsize=10, loc="left")
    fig.tight_layout()
    return fig
