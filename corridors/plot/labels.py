"""The one label placer of corridors maps, and the tests of its result.

:func:`place_labels` moves the labels of a map axes so that none overlaps
another, a symbol or a static name (adjustText, then a spiral search for the
leftovers, then leader lines); :func:`label_overlaps` and :func:`map_labels`
check the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.transforms
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.text import Text

from corridors._errors import ConfigError
from corridors.plot.style import STYLE, _renderer

def label_overlaps(texts: Sequence[Text], pad_px: float = 0.0) -> list[tuple[int, int]]:
    """Pairs of drawn labels whose boxes overlap.

    Parameters
    ----------
    texts : sequence of matplotlib.text.Text
        Labels of one figure.
    pad_px : float, default 0
        Grow every box by this many pixels before testing (a stricter test).

    Returns
    -------
    list of (int, int)
        Index pairs ``(i, j)``, ``i < j``, of overlapping labels; empty when
        every label stands clear of every other.
    """
    if not texts:
        return []
    fig = texts[0].figure
    renderer = _renderer(fig)
    boxes = np.array([t.get_window_extent(renderer=renderer).extents for t in texts])
    boxes[:, :2] -= pad_px
    boxes[:, 2:] += pad_px
    x0, y0, x1, y1 = boxes.T
    ov_x = (x0[:, None] < x1[None, :]) & (x0[None, :] < x1[:, None])
    ov_y = (y0[:, None] < y1[None, :]) & (y0[None, :] < y1[:, None])
    i, j = np.nonzero(np.triu(ov_x & ov_y, k=1))
    return [(int(a), int(b)) for a, b in zip(i, j)]


def map_labels(fig: Figure) -> list[Text]:
    """The labels the map placed (feature, river and country names), in drawing order.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure made by :func:`programme_map` or :func:`base_map`.

    Returns
    -------
    list of matplotlib.text.Text
        Texts whose ``gid`` starts with ``label:``, ``river:`` or ``country-``.
    """
    out = []
    for ax in fig.axes:
        for t in ax.texts:
            gid = t.get_gid() or ""
            if gid.startswith(("label:", "river:", "country-")):
                out.append(t)
    return out


def _clear_spot(area: shapely.Geometry, obstacles: np.ndarray, n: int = 60) -> shapely.Point:
    """The point of an area farthest from the obstacle points (the unit number goes there, clear of site symbols).

    A grid of about n x n candidates inside the area is scored by the
    distance to the nearest obstacle; ties go to the point nearest the
    area's representative point. Without obstacles: the representative point.
    """
    rp = area.representative_point()
    if len(obstacles) == 0:
        return rp
    x0, y0, x1, y1 = area.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(area, gx, gy)
    if not inside.any():
        return rp
    gx, gy = gx[inside], gy[inside]
    from scipy.spatial import cKDTree

    clearance, _ = cKDTree(obstacles).query(np.column_stack([gx, gy]))
    # Clearance beyond 60 km buys nothing more; then prefer the middle of the area.
    score = np.minimum(clearance, 60e3) - 0.05 * np.hypot(gx - rp.x, gy - rp.y)
    k = int(np.argmax(score))
    return shapely.Point(gx[k], gy[k])


#: House forces of adjustText: labels push each other harder than the static names push them.
_FORCE_TEXT = (0.3, 0.5)
_FORCE_STATIC = (0.2, 0.4)


def place_labels(
    ax: Axes,
    texts: Sequence[Text],
    anchors: Sequence[tuple[float, float]] | None = None,
    sym_xy: Sequence[tuple[float, float]] = (),
    iterations: int = 200,
    *,
    expand: tuple[float, float] = (1.15, 1.35),
    avoid_names: bool = True,
    clear_overlaps: bool = True,
    leader_lines: bool = True,
    leader_style: Mapping[str, Any] | None = None,
    strict: bool = True,
) -> list[FancyArrowPatch]:
    """Move the labels of one map axes so that none overlaps another, a symbol, or a country or river name.

    The one label placer of corridors maps: adjustText first, then a spiral
    search for the few it leaves overlapping, then a thin leader line from
    every label that ends up off its anchor. Call it after everything else
    is drawn (colorbars and legends change the axes' size). The result is
    the same on every run: adjustText stops at a fixed iteration count, not
    after a time limit.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map axes (working-CRS metres) with its limits set.
    texts : sequence of matplotlib.text.Text
        The labels, drawn at or near their anchors (in data coordinates).
    anchors : sequence of (x, y), optional
        What each label names, in data coordinates; default: where each
        label stands when called (a label drawn at its feature).
    sym_xy : sequence of (x, y), optional
        Symbols (markers) no label may cover.
    iterations : int, default 200
        adjustText's iteration limit (fixed, so the result is reproducible).
    expand : (float, float), default (1.15, 1.35)
        Factors (x, y) by which label boxes grow while they push each other
        apart: larger keeps labels farther apart.
    avoid_names : bool, default True
        Keep clear of the country and river names already on the axes
        (texts whose gid starts with ``country-`` or ``river:``).
    clear_overlaps : bool, default True
        After adjustText, move every label that still overlaps another, a
        symbol, a name or the frame to the nearest free spot round its
        anchor, which makes non-overlap a guarantee rather than a likelihood.
    leader_lines : bool, default True
        Join each label that stands off its anchor to it with a thin line.
    leader_style : mapping, optional
        Keywords of matplotlib's FancyArrowPatch merged over the house line
        (``color=STYLE["text"], linewidth=0.4``), e.g. ``{"color": "#555555", "linewidth": 0.5}``.
    strict : bool, default True
        ``False``: if placement fails, leave the labels where they stand
        and return no lines (for figures whose labels are cosmetic and must
        never fail a run).

    Returns
    -------
    list of matplotlib.patches.FancyArrowPatch
        The leader lines drawn.

    Raises
    ------
    ConfigError
        If ``anchors`` is given with another length than ``texts``.
    """
    texts = list(texts)
    if anchors is None:
        anchors = [tuple(t.get_position()) for t in texts]
    anchors = [(float(x), float(y)) for x, y in anchors]
    if len(anchors) != len(texts):
        raise ConfigError(
            f"place_labels got {len(texts)} label(s) but {len(anchors)} anchor(s); give one anchor per label."
        )
    symbols = [(float(x), float(y)) for x, y in sym_xy]
    try:
        return _place(ax, texts, anchors, symbols, iterations, expand, avoid_names, clear_overlaps, leader_lines,
                      leader_style)
    except Exception:
        if strict:
            raise
        return []


def _place(
    ax: Axes,
    texts: list[Text],
    anchors: list[tuple[float, float]],
    symbols: list[tuple[float, float]],
    iterations: int,
    expand: tuple[float, float],
    avoid_names: bool,
    clear_overlaps: bool,
    leader_lines: bool,
    leader_style: Mapping[str, Any] | None,
) -> list[FancyArrowPatch]:
    # adjustText imports pyplot, which corridors.plot otherwise never needs (no global figure state).
    from adjustText import adjust_text

    static = [t for t in ax.texts if (t.get_gid() or "").startswith(("country-", "river:"))] if avoid_names else []
    if texts:
        # adjustText pushes the labels apart, off the symbols (points to avoid)
        # and off the country and river names (static objects); a fixed
        # iteration limit keeps the result reproducible. It stops at that
        # limit whether or not every overlap is gone, so the few left are then
        # moved to the nearest free spot round their anchor (_free_spots),
        # which makes non-overlap a guarantee rather than a likelihood.
        pts = symbols + anchors
        adjust_text(
            texts,
            x=[p[0] for p in pts],
            y=[p[1] for p in pts],
            objects=static or None,
            target_x=[a[0] for a in anchors],
            target_y=[a[1] for a in anchors],
            ax=ax,
            expand=expand,
            force_text=_FORCE_TEXT,
            force_static=_FORCE_STATIC,
            iter_lim=iterations,
        )
    if clear_overlaps:
        _free_spots(ax, texts, static, anchors, symbols=symbols)
    return _leader_lines(ax, texts, anchors, style=leader_style) if leader_lines else []


def _free_spots(
    ax: Axes,
    texts: list[Text],
    static: list[Text],
    anchors: list[tuple[float, float]],
    symbols: Sequence[tuple[float, float]] = (),
    symbol_px: float = 7.0,
    name_gap_pt: float = 3.0,
) -> None:
    """Move every label that still overlaps another to the nearest position round its anchor where it overlaps none.

    Written by hand because adjustText (the force-directed placement used
    first) offers no final guarantee; this spiral search is the classic
    fallback of cartographic label placement and only touches the leftovers.
    A label must also keep ``name_gap_pt`` points from a country or river
    name: touching boxes read as one word ("2.1UZBEKISTAN").
    """
    renderer = _renderer(ax.figure)
    to_disp = ax.transData
    frame = ax.patch.get_window_extent(renderer=renderer)
    boxes = [t.get_window_extent(renderer=renderer) for t in texts]
    gap_px = name_gap_pt * ax.figure.dpi / 72.0
    others = [t.get_window_extent(renderer=renderer).padded(gap_px) for t in static]
    # Site symbols are obstacles too (a square of symbol_px round each), so a
    # moved label never hides a marker.
    half = symbol_px / 2
    for sx, sy in to_disp.transform(np.asarray(symbols, dtype=float).reshape(-1, 2)):
        others.append(matplotlib.transforms.Bbox.from_extents(sx - half, sy - half, sx + half, sy + half))
    pad = 1.5

    def clash(i: int, box) -> bool:
        grown = box.padded(pad)
        if grown.x0 < frame.x0 or grown.x1 > frame.x1 or grown.y0 < frame.y0 or grown.y1 > frame.y1:
            return True
        if any(grown.overlaps(b) for b in others):
            return True
        return any(j != i and grown.overlaps(b) for j, b in enumerate(boxes))

    for i, text in enumerate(texts):
        if not clash(i, boxes[i]):
            continue
        ax_, ay_ = to_disp.transform(anchors[i])
        w, h = boxes[i].width, boxes[i].height
        step = max(h / 2, 2.0)
        found = None
        for k in range(1, 60):
            r = k * step
            for ang in np.linspace(0, 2 * np.pi, 24, endpoint=False):
                cx, cy = ax_ + r * np.cos(ang) * (0.5 + w / (w + h)), ay_ + r * np.sin(ang)
                cand = matplotlib.transforms.Bbox.from_extents(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if not clash(i, cand):
                    found = (cx, cy)
                    break
            if found:
                break
        if found is None:
            continue
        text.set_horizontalalignment("center")
        text.set_verticalalignment("center")
        text.set_position(to_disp.inverted().transform(found))
        boxes[i] = text.get_window_extent(renderer=renderer)


def _leader_lines(
    ax: Axes,
    texts: list[Text],
    anchors: list[tuple[float, float]],
    min_gap_px: float = 4.0,
    style: Mapping[str, Any] | None = None,
) -> list[FancyArrowPatch]:
    """Join each label that stands off its symbol to the symbol with a thin line."""
    renderer = _renderer(ax.figure)
    kw = {"color": STYLE["text"], "linewidth": 0.4, **(style or {})}
    lines = []
    for text, anchor in zip(texts, anchors):
        box = text.get_window_extent(renderer=renderer)
        ax_, ay_ = ax.transData.transform(anchor)
        dx = max(box.x0 - ax_, 0, ax_ - box.x1)
        dy = max(box.y0 - ay_, 0, ay_ - box.y1)
        if math.hypot(dx, dy) < min_gap_px:
            continue
        lines.append(
            ax.add_patch(
                FancyArrowPatch(
                    posA=text.get_position(),
                    posB=anchor,
                    patchA=text,
                    arrowstyle="-",
                    shrinkA=1,
                    shrinkB=2.5,
                    zorder=STYLE["z"]["labels"] - 0.5,
                    **kw,
                )
            )
        )
    return lines
