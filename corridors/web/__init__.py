"""Interactive web maps of corridors' outputs that open offline: ``index.html`` of the main job, ``map.html`` and ``compare.html`` of a scenario.

One HTML file per map, with Leaflet, the data (GeoJSON in degrees, rasters
as PNG overlays warped to Web Mercator) and the script inlined: it loads
nothing from a CDN or a tile server and can be emailed. The base map is the
programme's own vector layers (countries, lakes, rivers, borders).

>>> from corridors.web import write_web  # doctest: +SKIP
>>> write_web("out")                     # out/index.html, listed in out/'s manifest  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from corridors._errors import OutputError
from corridors.io.files import MANIFEST, _manifest, atomic_path, staged_folder  # _manifest: the one reader of a manifest
from corridors.web.layers import (Layer, base_layers, measures_or_none, programme_layers, scenario_layers, site_layers,
                                  sites_of, unresolved_places)
from corridors.web.page import render

__all__ = ["Layer", "compare_html", "output_kind", "programme_html", "scenario_html", "write_scenario_maps", "write_web"]

#: Sub-folders of the main job's output (``corridors programme``), any of which makes a folder one.
PROGRAMME_FOLDERS = ("map", "rivers", "linkages", "pinch", "centrality", "network", "omniscape", "restoration",
                     "viability", "baseline")
#: Layers of a scenario shown when its side-by-side view opens: those the baseline side shows too.
COMPARED = ("scenario_resistance", "scenario_network_links", "scenario_network_nodes", "interventions")
NOTES = [
    "Every location is approximate: each place's popup gives location_precision_km, the radius the true "
    "place lies within, and the source of its placement. Results rest on the bundled data and the settings "
    "in each folder's provenance.json.",
    "Rasters are warped to Web Mercator for the map (nearest cell, at most 1,200 pixels a side); the GeoTIFFs "
    "hold the full grids in the working CRS (Albers equal-area).",
]


def output_kind(outdir: str | os.PathLike) -> str:
    """What ``outdir`` holds: ``"programme"`` (``corridors programme``) or ``"scenario"`` (``corridors run``).

    Parameters
    ----------
    outdir : path-like

    Returns
    -------
    str

    Raises
    ------
    OutputError
        If ``outdir`` is missing or not an output folder of either command, naming it and the fix.
    """
    d = Path(outdir)
    make = "run `corridors programme -o FOLDER` (or `corridors run SCENARIO.yml -o FOLDER`) first and give that folder"
    if not d.is_dir():
        raise OutputError(f"{d}: no such folder; {make}.")
    if not (d / MANIFEST).is_file():
        raise OutputError(f"{d}: not an output folder of corridors (it has no {MANIFEST}); {make}.")
    if (d / "scenario.gpkg").is_file():
        return "scenario"
    if any((d / sub / MANIFEST).is_file() for sub in PROGRAMME_FOLDERS):
        return "programme"
    raise OutputError(f"{d}: an output of corridors, but neither of the main job (no {', '.join(PROGRAMME_FOLDERS[:3])}"
                      f"... folders) nor of a scenario (no scenario.gpkg); {make}.")


def _files(folder: Path, prefix: str = "") -> list[tuple[str, str]]:
    """(text, relative link) of every file corridors wrote in ``folder`` and its output sub-folders (manifests)."""
    out = []
    for name in sorted(_manifest(folder) - {"index.html"}):  # the page itself is not one of the results
        p = folder / name
        if p.is_dir() and (p / MANIFEST).is_file():
            out += _files(p, f"{prefix}{name}/")
        elif p.is_file():
            out.append((f"{prefix}{name}", f"{prefix}{name}"))
    for p in sorted(folder.iterdir()):  # step folders are outputs of their own, not listed in the parent's manifest
        if p.is_dir() and p.name not in _manifest(folder) and (p / MANIFEST).is_file():
            out += _files(p, f"{prefix}{p.name}/")
    return out


def programme_html(outdir: str | os.PathLike) -> str:
    """The page of a main-job folder: base map, the programme's places and every step's results there.

    Parameters
    ----------
    outdir : path-like
        A folder written by ``corridors programme``.

    Returns
    -------
    str
        The HTML of ``index.html`` (links relative to ``outdir``).
    """
    d = Path(outdir)
    sites, src = sites_of(d)
    layers = base_layers() + site_layers(sites, measures_or_none(), src) + programme_layers(d)
    report = "baseline/report.html" if (d / "baseline" / "report.html").is_file() else None
    return render([("Bukhara deer work programme 2025-2032", layers)], "Bukhara deer: results of the main job",
                  "Interactive map of corridors programme: the programme's places, least-cost corridors, pinch "
                  "points, Omniscape, restoration sites, the habitat network and the baseline scenario.",
                  report=report, files=_files(d), unresolved=unresolved_places(sites, d / "baseline"), notes=NOTES)


def _scenario_map_layers(folder: Path) -> tuple[list[Layer], list[dict[str, str]]]:
    """The layers of a scenario folder's map (base map, places, results) and its unresolved places."""
    sites, src = sites_of(folder)
    layers = base_layers() + site_layers(sites, measures_or_none(), src, group="Places") + \
        scenario_layers(folder, "", "Scenario")
    return layers, unresolved_places(sites, folder)


def scenario_html(folder: str | os.PathLike, name: str = "",
                  made: tuple[list[Layer], list[dict[str, str]]] | None = None) -> str:
    """The page of one scenario output folder (``map.html``): its places, scored corridors and sites, network, rasters.

    Parameters
    ----------
    folder : path-like
        A folder written by ``corridors run`` (or the run's temporary folder while it writes).
    name : str
        The scenario's name, for the heading.
    made : (list of Layer, list of dict), optional
        The layers and unresolved places, when already made from ``folder``.

    Returns
    -------
    str
    """
    d = Path(folder)
    layers, un = made or _scenario_map_layers(d)
    name = name or d.name
    files = _files(d) if (d / MANIFEST).is_file() else [(p.name, p.name) for p in sorted(d.iterdir())
                                                          if p.is_file() and not p.name.startswith(".")]
    return render([(f"Scenario {name}", layers)], f"corridors scenario {name}: interactive map",
                  "Scored candidate corridors and sites, the habitat network with link probabilities, the "
                  "interventions and the current map of the scenario.", report="report.html", files=files,
                  unresolved=un, notes=NOTES)


def compare_html(baseline: list[Layer], scenario: list[Layer], name: str, unresolved: list[dict[str, str]]) -> str:
    """The side-by-side page (``compare.html``): the baseline on the left, the scenario on the right, moving together.

    Parameters
    ----------
    baseline, scenario : list of Layer
        The layers of each map (the same base map and places; the results of each).
    name : str
        The scenario's name.
    unresolved : list of dict
        Places with no geometry.

    Returns
    -------
    str
    """
    return render([("Baseline", baseline), (f"Scenario {name}", scenario)],
                  f"corridors scenario {name} against its baseline",
                  "Two synchronised maps: pan or zoom one and the other follows.", report="report.html",
                  files=[("map.html (the scenario alone)", "map.html")], unresolved=unresolved, notes=NOTES)


def write_scenario_maps(folder: str | os.PathLike, name: str, baseline: list[Layer] | None = None) -> list[Path]:
    """Write ``map.html`` (and, given the baseline's layers, ``compare.html``) into a scenario's folder.

    Called by the scenario writer inside its staged folder, after ``scenario.gpkg`` and the rasters.

    Parameters
    ----------
    folder : path-like
        The folder the run is writing.
    name : str
        The scenario's name.
    baseline : list of Layer, optional
        The baseline's result layers (network, resistance ...) for the side-by-side view.

    Returns
    -------
    list of pathlib.Path
        The names written, relative to ``folder``.
    """
    d = Path(folder)
    layers, un = _scenario_map_layers(d)
    written = []
    with atomic_path(d / "map.html") as tmp:
        tmp.write_text(scenario_html(d, name, (layers, un)), encoding="utf-8")
    written.append(Path("map.html"))
    if baseline is not None:
        common = [lay for lay in layers if lay.group in ("Base map", "Places")]
        # the right side shows what the left does (resistance, network), for the scenario; the rest stays switchable
        right = [dataclasses.replace(lay, visible=lay.id in COMPARED or lay.group != "Scenario" and lay.visible)
                 for lay in layers]
        with atomic_path(d / "compare.html") as tmp:
            tmp.write_text(compare_html(common + baseline, right, name, un), encoding="utf-8")
        written.append(Path("compare.html"))
    return written


def write_web(outdir: str | os.PathLike) -> Path:
    """Write ``index.html`` into an output folder of the main job or of a scenario, through its manifest.

    Parameters
    ----------
    outdir : path-like
        A folder written by ``corridors programme`` or ``corridors run``.

    Returns
    -------
    pathlib.Path
        ``outdir/index.html``.

    Raises
    ------
    OutputError
        If ``outdir`` is not such a folder, or holds files corridors did not write.
    """
    d = Path(outdir)
    kind = output_kind(d)
    page = programme_html(d) if kind == "programme" else scenario_html(d)
    with staged_folder(d, name="web") as tmp:
        (tmp / "index.html").write_text(page, encoding="utf-8")
    return d / "index.html"
