"""Figures of a population viability run: trajectory fans per population and quasi-extinction risk curves.

The engine (:mod:`corridors.pva`) simulates; these functions only draw the
abundance array it returns (replicates x years + 1 x populations), in the
house style of :mod:`corridors.plot.style`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from corridors.plot.style import STYLE

#: Colour of the median line and the 5-95 % band of the fans.
FAN_COLOUR = "#1b7837"


def population_label(pid: str, name: str | None, width: int = 24) -> str:
    """A population's label on a figure: its id, then its name cut at a word (``uz1 Lower Amu Darya...``).

    A site id with a dash (``cand-syr-darya-delta``) is longer than its name, so the name stands alone.
    A remark in brackets ("(to be confirmed)") stays in the data, not on the figure.

    Parameters
    ----------
    pid : str
        The population's id.
    name : str or None
        Its name (None or empty: the id alone).
    width : int, default 24
        Longest name kept whole; a longer one ends at a word with "...".
    """
    text = str(name or "").split(" (")[0].strip()
    short = textwrap.shorten(text, width=width, placeholder="...") if text else ""
    if "-" in pid:
        return short or pid
    return f"{pid} {short}".strip()


def _panel_grid(n: int, cols: int = 4) -> tuple[Figure, np.ndarray]:
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.3 * rows), squeeze=False, sharex=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def plot_trajectories(abundance: np.ndarray, names: Sequence[str], years: Sequence[int], *,
                      marks: Sequence[int] = (), title: str | None = None) -> Figure:
    """Fans of the simulated abundance: one panel per population and one for the total.

    Parameters
    ----------
    abundance : ndarray, shape (replicates, years + 1, populations)
        Animals per population at each census.
    names : sequence of str
        Population labels, in the array's order.
    years : sequence of int
        Calendar year of each census (length years + 1).
    marks : sequence of int
        Years marked by a vertical line (e.g. 2032, 2050).
    title : str, optional

    Returns
    -------
    Figure
        Median (line) and the 5-95 % band of the replicates per panel.
    """
    a = np.asarray(abundance, dtype="float64")
    series = [(str(n), a[:, :, k]) for k, n in enumerate(names)] + [("all populations", a.sum(axis=2))]
    fig, axes = _panel_grid(len(series))
    yr = np.asarray(years)
    for ax, (name, x) in zip(axes.flat, series):
        lo, med, hi = np.percentile(x, [5, 50, 95], axis=0)
        ax.fill_between(yr, lo, hi, color=FAN_COLOUR, alpha=0.25, linewidth=0, label="5-95 % of runs")
        ax.plot(yr, med, color=FAN_COLOUR, linewidth=1.4, label="median")
        for m in marks:
            ax.axvline(m, color="#888888", linewidth=0.6, linestyle="--")
        ax.set_title(name, fontsize=STYLE["font_size"])
        ax.tick_params(labelsize=STYLE["font_size"] - 1)
        ax.set_ylim(bottom=0)
    axes.flat[0].legend(fontsize=STYLE["font_size"] - 1, loc="upper left", frameon=False)
    for ax in axes[-1]:
        ax.set_xlabel("year", fontsize=STYLE["font_size"])
    for ax in axes[:, 0]:
        ax.set_ylabel("deer", fontsize=STYLE["font_size"])
    if title:
        fig.suptitle(title, fontsize=STYLE["font_size"] + 2)
    fig.tight_layout()
    return fig


def plot_risk_curves(abundance: np.ndarray, names: Sequence[str], years: Sequence[int], threshold: float, *,
                     title: str | None = None) -> Figure:
    """Quasi-extinction risk by year: the share of runs in which a population has fallen below ``threshold`` by then.

    Parameters
    ----------
    abundance : ndarray, shape (replicates, years + 1, populations)
    names : sequence of str
    years : sequence of int
    threshold : float
        Animals below which a population counts as quasi-extinct.
    title : str, optional

    Returns
    -------
    Figure
        One line per population (up to ten with a risk above 0 labelled in the
        legend, those never at risk in grey; the axis ends a little above the
        highest risk, at least 5 %); a
        population that starts below the threshold in every run is not drawn
        (its risk is not defined) and is named on the figure.
    """
    a = np.asarray(abundance)
    below = np.maximum.accumulate(a < threshold, axis=1)  # once below, counted as lost
    risk = below.mean(axis=0)  # years + 1 x populations
    starts_below = (a[:, 0, :] < threshold).all(axis=0)  # no risk to speak of: drawn as 100 % it would mislead
    order = [k for k in np.argsort(-risk[-1], kind="stable") if not starts_below[k]]
    at_risk = [k for k in order if risk[-1, k] > 0]
    fig, ax = plt.subplots(figsize=(9.5, 4.2))
    cmap = plt.get_cmap("tab20")
    for rank, k in enumerate(order):
        ax.plot(years, 100 * risk[:, k], color=cmap(rank % 20) if risk[-1, k] > 0 else "#999999",
                linewidth=1.3 if risk[-1, k] > 0 else 0.8, label=str(names[k]) if rank < min(10, len(at_risk)) else None)
    notes = []
    safe = len(order) - len(at_risk)
    if safe:
        notes.append(f"{safe} population(s) never below {threshold:g} deer in any run (grey, at 0)")
    skipped = [str(names[k]).split()[0] for k in np.flatnonzero(starts_below)]
    if skipped:
        notes.append(f"not drawn, starting below {threshold:g} deer: {', '.join(skipped)}")
    if notes:
        ax.text(0.01, 0.97, "; ".join(notes), transform=ax.transAxes, fontsize=STYLE["font_size"] - 1, va="top",
                color="#555555")
    ax.set_xlabel("year", fontsize=STYLE["font_size"])
    ax.set_ylabel(f"runs below {threshold:g} deer (%)", fontsize=STYLE["font_size"])
    # the axis reaches a little above the highest risk (at least 5 %), so that a risk of 1 % is seen; the room
    # above it holds the notes; a risk of 0 is drawn just above the axis line, not hidden by it
    top = min(100.0, max(5.0, 1.35 * 100 * float(risk[-1, at_risk].max()) if at_risk else 5.0))
    ax.set_ylim(-0.02 * top, top)
    ax.tick_params(labelsize=STYLE["font_size"])
    if at_risk:
        last = years[-1]
        ax.legend(fontsize=STYLE["font_size"] - 1, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  title=f"the 10 riskiest by {last}" if len(at_risk) > 10 else f"at risk by {last}",
                  title_fontsize=STYLE["font_size"] - 1)
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 1)
    fig.tight_layout()
    return fig
