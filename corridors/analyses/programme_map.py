"""The main job's map step: the programme's Figure 1 redrawn from the bundled sites.

:func:`run_programme_map` draws :func:`corridors.plot.programme_map`;
:meth:`ProgrammeMap.write` writes ``programme_map.png/.svg/.pdf`` and
``provenance.json``.

Example
-------
>>> from corridors.analyses.programme_map import run_programme_map
>>> fig1 = run_programme_map()
>>> fig1.write("out/map", formats=("png",), dpi=150)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from matplotlib.figure import Figure

from corridors import settings
from corridors.io import provenance, staged_folder
from corridors.plot.figure1 import PROGRAMME_TITLE, programme_map
from corridors.plot.save import save_figure
from corridors.sites import load_sites, unresolved

#: Formats of the map step, and the resolution of its PNG.
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
DEFAULT_DPI: int = 300


@dataclass
class ProgrammeMap:
    """The map step's result: Figure 1 and the sites it shows.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    sites : GeoDataFrame
        The sites drawn.
    parameters : dict
        The run's parameters, as written to ``provenance.json``.
    inputs : dict of str to pathlib.Path
        The input files, listed with their SHA-256 in ``provenance.json``.
    """

    figure: Figure = field(repr=False)
    sites: gpd.GeoDataFrame = field(repr=False)
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)

    @property
    def unresolved(self) -> list[str]:
        """Ids of the places whose location is unresolved (listed under the map, never dropped)."""
        return list(unresolved(self.sites)["id"])

    def write(self, outdir: str | os.PathLike, formats: Sequence[str] = FORMATS, dpi: int = DEFAULT_DPI) -> list[Path]:
        """Write ``programme_map.<format>`` and ``provenance.json`` into a folder (created if missing), all together or none.

        Parameters
        ----------
        outdir : path-like
        formats : sequence of {'png', 'svg', 'pdf'}, default all three
        dpi : int, default 300
            Resolution of the PNG.

        Returns
        -------
        list of pathlib.Path
            The map files in the order of ``formats``, then ``provenance.json``.
        """
        out = Path(outdir)
        with staged_folder(out, name="map") as tmp:  # the one rule of output folders (corridors.io.files)
            written = save_figure(self.figure, tmp / "programme_map", formats=formats, dpi=dpi)
            rec = provenance.record(inputs=self.inputs, parameters={**self.parameters, "formats": list(formats), "dpi": dpi},
                                    command="corridors map programme")
            written.append(provenance.write(path=tmp / "provenance.json", rec=rec))
        return [out / p.name for p in written]


def run_programme_map(
    sites: gpd.GeoDataFrame | str | os.PathLike | None = None, *, title: bool | str = True
) -> ProgrammeMap:
    """Draw the programme's Figure 1: population units, subpopulations, hotspots, candidate sites (what ``corridors map programme`` runs).

    Parameters
    ----------
    sites : GeoDataFrame or path-like, optional
        Sites of the ``data/sites.geojson`` schema; default the bundled sites.
    title : bool or str, default True
        The figure's title: a text of your own; True for the default, which
        is the programme's title for the bundled sites and "Bukhara deer:
        places of <file name>" for a sites file of yours (the programme's
        title would credit your places to the programme); False for none
        (for a caption in a document).

    Returns
    -------
    ProgrammeMap
    """
    if isinstance(sites, gpd.GeoDataFrame):
        s, inputs = sites, {}
    else:
        s = load_sites(sites) if sites is not None else load_sites()
        inputs = {"sites": Path(sites) if sites is not None else settings.SITES_PATH}
    inputs["base"] = settings.BASE_DIR
    inputs["rivers"] = settings.RIVERS_DIR
    if title is True:
        own = inputs.get("sites")  # None for a GeoDataFrame
        title = f"Bukhara deer: places of {own.name}" if own not in (None, settings.SITES_PATH) else PROGRAMME_TITLE
    text = title if isinstance(title, str) and title.strip() else None
    fig = programme_map(s, title=text)
    return ProgrammeMap(figure=fig, sites=s, parameters={"title": text}, inputs=inputs)
