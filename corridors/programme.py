"""The work programme as data: its measures table, the corridors it names, and which places are nodes of its habitat network."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from corridors import settings
from corridors._errors import DataError, where
from corridors.io import decode_list as _as_list
from corridors.io import read_text
from corridors.sites import POPULATION_UNITS

__all__ = [
    "CANDIDATE_SITE_KINDS",
    "DEFAULT_LINK_SOURCE",
    "DEFAULT_MEDIAN_DISPERSAL_M",
    "DEFAULT_REACH_M",
    "LINK_SOURCES",
    "NETWORK_MARGIN_M",
    "MAX_EXCHANGE_CWD_M",
    "NETWORK_RESOLUTION_M",
    "MEASURE_COLUMNS",
    "NODE_KINDS",
    "NODE_STATUSES",
    "NORMALIZED_CURRENT_CLASSES",
    "OMNISCAPE_BLOCK_SIZE",
    "OMNISCAPE_MIN_SUITABILITY",
    "OMNISCAPE_RADIUS_M",
    "OLD_SOURCE_NAMES",
    "PRIORITIES",
    "PROGRAMME_CORRIDORS",
    "PROTECTED_KINDS",
    "ProgrammeCorridor",
    "TYPICAL_MEASURES",
    "cross_check",
    "known_measures",
    "load_measures",
    "network_sites",
]

# ----------------------------------------------------------------------------- measures

#: Measure table columns, in file order.
MEASURE_COLUMNS: tuple[str, ...] = (
    "id",
    "number",
    "part",
    "section",
    "section_title",
    "population_unit",
    "text",
    "priority",
    "responsible",
    "countries",
    "site_ids",
)

#: Priorities the programme uses ("" where it gives none).
PRIORITIES: tuple[str, ...] = ("1", "2", "3", "2-3", "")

#: The measures each intervention type models (issue 6, section 1). Used to
#: check a scenario while data/programme/measures.csv is absent, and to tell a
#: user which measures a type usually stands for.
TYPICAL_MEASURES: dict[str, tuple[str, ...]] = {
    "corridor_restoration": ("2.1", "3.1", "4.2", "5.7", "6.4", "7.4"),
    "riparian_reforestation": ("2.4", "3.3", "5.3", "6.2", "7.1"),
    "protected_area": ("3.2", "4.7", "5.1", "6.1", "7.3"),
    "border_permeability": ("1.3", "2.9", "3.7"),
    "habitat_loss": ("2.8", "4.4", "5.3"),
    "reintroduction": ("2.5", "2.10", "6.3", "6.6", "7.2", "7.5", "7.9"),
    "population_control": ("2.3",),
}


def load_measures(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load and validate the measures table (the bundled ``data/programme/measures.csv`` by default).

    Parameters
    ----------
    path : path-like, optional
        CSV with the columns of ``MEASURE_COLUMNS`` (extra columns are kept).

    Returns
    -------
    pandas.DataFrame
        One row per measure, indexed by nothing (``id`` is a column);
        ``population_unit`` as nullable Int64, ``countries`` and ``site_ids``
        as lists of str.

    Raises
    ------
    DataError
        If the file is missing, empty, lacks a column, repeats an id, or has
        an unknown part or priority or a bad unit number.
    """
    p = Path(settings.MEASURES_PATH if path is None else path)
    if not p.exists():
        raise DataError(f"{p}: file not found; check the path or rebuild it with scripts/build_measures.py.")
    try:
        df = pd.read_csv(io.StringIO(read_text(p)), dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise DataError(f"{p}: cannot be read as a CSV table ({exc}); give a UTF-8 CSV with a header row.") from exc
    if len(df) == 0:
        raise DataError(f"{p}: the table holds no measure; give at least one row.")
    missing = [c for c in MEASURE_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"{where(p, field=missing[0])}: column missing; the table needs {', '.join(MEASURE_COLUMNS)}.")
    dup = df["id"][df["id"].duplicated()]
    if len(dup):
        raise DataError(f"{where(p, dup.iloc[0], 'id')}: duplicate measure id; ids must be unique.")
    for mid, part, prio, unit in zip(df["id"], df["part"], df["priority"], df["population_unit"]):
        if part not in ("programme", "annex1"):
            raise DataError(f"{where(p, mid, 'part')}: unknown part {part!r}; use 'programme' or 'annex1'.")
        if prio not in PRIORITIES:
            raise DataError(f"{where(p, mid, 'priority')}: unknown priority {prio!r}; use 1, 2, 3, 2-3 or leave empty.")
        if unit and (not unit.isdigit() or int(unit) not in POPULATION_UNITS):
            raise DataError(f"{where(p, mid, 'population_unit')}: {unit!r} is not a unit 1-8; fix or leave empty.")
    df["population_unit"] = pd.array([int(u) if u else pd.NA for u in df["population_unit"]], dtype="Int64")
    df["countries"] = df["countries"].map(_as_list)
    df["site_ids"] = df["site_ids"].map(_as_list)
    return df


def cross_check(sites: gpd.GeoDataFrame, measures: pd.DataFrame) -> list[str]:
    """List disagreements between sites' ``measures`` and measures' ``site_ids``.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        From :func:`load_sites`.
    measures : pandas.DataFrame
        From :func:`load_measures`.

    Returns
    -------
    list of str
        One sentence per disagreement; empty when both tables agree.
    """
    problems = []
    site_ids = set(sites["id"])
    measure_ids = set(measures["id"])
    from_sites = {(m, s) for s, ms in zip(sites["id"], sites["measures"]) for m in ms}
    from_measures = {(m, s) for m, ss in zip(measures["id"], measures["site_ids"]) for s in ss}
    for m, s in sorted(from_measures - from_sites):
        what = "is not a site id" if s not in site_ids else "does not list the measure"
        problems.append(f"measure {m} names site {s!r}, which {what}.")
    for m, s in sorted(from_sites - from_measures):
        what = "is not a measure id" if m not in measure_ids else "does not name the site"
        problems.append(f"site {s!r} lists measure {m}, which {what}.")
    return problems


def known_measures(path: str | os.PathLike | None = None) -> dict[str, str]:
    """Measure ids of the programme and a short text for each.

    Parameters
    ----------
    path : path-like, optional
        The measures table (default ``data/programme/measures.csv``), read
        with :func:`load_measures`.

    Returns
    -------
    dict of str to str
        Measure id (``'2.1'``, ``'A6.1'`` ...) to its text. When the table
        does not exist, the measures of :data:`TYPICAL_MEASURES` with empty
        texts.
    """
    p = Path(settings.MEASURES_PATH if path is None else path)
    if not p.exists():
        return {m: "" for ms in TYPICAL_MEASURES.values() for m in ms}
    key = (str(p), p.stat().st_mtime_ns)
    if key not in _MEASURES_CACHE:
        df = load_measures(p)
        _MEASURES_CACHE.clear()
        _MEASURES_CACHE[key] = {str(i).strip(): str(t).strip() for i, t in zip(df["id"], df["text"])}
    return dict(_MEASURES_CACHE[key])


#: The last measures table read, keyed by path and modification time (a scenario checks every
#: intervention's measure against it).
_MEASURES_CACHE: dict[tuple[str, int], dict[str, str]] = {}


# ----------------------------------------------------------------------------- the corridors the programme names

@dataclass(frozen=True)
class ProgrammeCorridor:
    """A corridor the work programme names: its measure, our reading of the text, and the site ids of its ends."""

    key: str
    measure: str
    name: str
    end_a: str
    end_b: str
    reading: str


#: The candidate corridors of the work programme 2025-2032. End ids are those of
#: data/sites.geojson; ``reading`` says how the measure's words were turned into two ends.
PROGRAMME_CORRIDORS: tuple[ProgrammeCorridor, ...] = (
    ProgrammeCorridor("2.1a", "2.1", "Amu Darya SSNR - Kyzylkum SSNR", "amu-darya-ssnr", "kyzylkum-ssnr",
                      "Named in the measure: the two strict reserves facing each other across the Amu Darya (TKM-UZB)."),
    ProgrammeCorridor("2.1b", "2.1", "Nazarkhan - Turkmen tugay", "nazarkhan", "end-tkm-tugay-lower",
                      "Named in the measure: Nazarkhan (LABR cluster) and the tugay forests in TKM opposite it."),
    ProgrammeCorridor("2.5", "2.5", "LABR - Sudochye-Akpetki", "labr", "cand-sudochye-akpetki",
                      "Reintroduction into Sudochye-Akpetki from the nearest source population, the Lower Amu Darya BR."),
    ProgrammeCorridor("2.9", "2.9", "LABR - transboundary hotspot 38", "labr", "hotspot-38",
                      "Transboundary TKM-UZB migration in the lower reaches: from LABR to hotspot 38 (measures 2.9, 3.7)."),
    ProgrammeCorridor("3.1", "3.1", "Amu Darya SSNR - Yeraji (middle reaches, TKM)", "amu-darya-ssnr", "yeraji-sr",
                      "A corridor system in the middle reaches in TKM: the Amu Darya SSNR and the Yeraji reserve (3.6)."),
    ProgrammeCorridor("4.2a", "4.2", "Beshai Palangon - Darqad (TJK-AFG)", "beshai-palangon", "cand-darqad",
                      "Upper reaches, between AFG and TJK under their 2020 MoU: Tigrovaya Balka and Darqad."),
    ProgrammeCorridor("4.2b", "4.2", "Beshai Palangon - Maimun-Tugay (TJK-UZB)", "beshai-palangon", "maimun-tugay",
                      "Upper reaches, 'all sections of the range area': Tigrovaya Balka downstream to the Termez tugay (Uz3)."),
    ProgrammeCorridor("5.7", "5.7", "Zarafshon SR - Zarafshon NNP (TJK-UZB)", "zarafshon-sr", "zarafshon-nnp",
                      "Safe TJK-UZB migration in the upper Zarafshon: the two protected areas of population unit 4."),
    ProgrammeCorridor("6.4", "6.4", "Syr Darya: Turkistan - Aral", "end-turkistan", "end-aral",
                      "Named in the measure: along the Syr Darya from Turkistan to the Aral."),
    ProgrammeCorridor("7.4", "7.4", "Ile: Kapchagai - Ile-Balkhash reserve", "end-kapchagai", "ile-balkhash-reserve",
                      "Named in the measure: along the Ile from Kapchagai to the Ile-Balkhash reserve."),
)


# ----------------------------------------------------------------------------- the programme's habitat network
#
# One definition, used by `corridors network`, by every scenario and so by the main job. A scenario
# may change any of the values below through its named parameters (`links.source`,
# `links.median_dispersal_m`, `landscape.resolution_m`, `scoring.reach_m`); the README's section
# "The programme network" says what each one rests on.

#: Kinds of site that are nodes of the habitat network: the free-ranging populations, native or
#: introduced, inside or outside the historical range. Protected areas are places *within* a
#: population (their ``parent``); they count for a corridor's share protected, not as nodes.
NODE_KINDS: tuple[str, ...] = ("subpopulation", "outside_range")
#: Statuses of free-ranging groups (captive groups and candidates are not nodes).
NODE_STATUSES: tuple[str, ...] = ("native", "introduced", "reintroduced")
#: Kinds of site whose place counts as protected (a corridor's share protected).
PROTECTED_KINDS: tuple[str, ...] = ("protected_area",)
#: Kinds of site scored as candidate reintroduction sites.
CANDIDATE_SITE_KINDS: tuple[str, ...] = ("candidate_reintroduction",)

#: The link sources of the programme network, by name (the same words on the command line and in scenario YAML).
LINK_SOURCES: tuple[str, ...] = ("least_cost", "effective_resistance", "river", "euclidean")
#: Spellings of the first release, accepted with a deprecation warning.
OLD_SOURCE_NAMES: dict[str, str] = {"straight": "euclidean", "lcp": "least_cost", "circuit": "effective_resistance"}
#: Where link distances come from by default: least-cost distance on the resistance surface.
DEFAULT_LINK_SOURCE: str = "least_cost"
#: Distance at which the dispersal probability is 0.5, in metres (cost-weighted metres for least-cost
#: links: 30 km of tugay, the cheapest class). An assumption to replace with telemetry (measure 10.x).
DEFAULT_MEDIAN_DISPERSAL_M: float = 30_000.0
#: Cell size of the range-wide resistance and suitability surfaces of the network, in metres.
NETWORK_RESOLUTION_M: float = 5_000.0
#: Radius around a node or a candidate site whose suitable habitat is its capacity, in metres.
DEFAULT_REACH_M: float = 15_000.0
#: Margin around the located sites of the network's surfaces, in metres.
NETWORK_MARGIN_M: float = 100_000.0
#: Omniscape of the programme landscape (``corridors omniscape programme``, the main job's ``omniscape`` step).
#: Radius of the moving window: twice the median dispersal distance above, so a target gathers the sources a deer
#: born there could plausibly reach in one dispersal (an assumption, like that distance; see the README).
OMNISCAPE_RADIUS_M: float = 60_000.0
#: Block size of the targets (cells): 3 x 3 cells of 5 km, a quarter of the radius' 12 cells, with the artifact correction.
OMNISCAPE_BLOCK_SIZE: int = 3
#: Cells of at least this suitability (0-1, ``data/resistance.yml``) are sources, with their suitability as strength:
#: the tugay, riparian and floodplain classes deer live in; steppe, desert and farmland are crossed, not lived in.
OMNISCAPE_MIN_SUITABILITY: float = 0.5
#: Classes of the normalized current (cumulative current / flow potential) drawn on the map: upper bounds of
#: impeded, diffuse and intensified flow; above the last is channelized. Omniscape calls values near 1 diffuse,
#: below impeded and above channelized (its docs give no thresholds): these are this project's.
NORMALIZED_CURRENT_CLASSES: tuple[tuple[str, float], ...] = (("impeded", 0.7), ("diffuse", 1.3), ("intensified", 2.0),
                                                            ("channelized", float("inf")))
#: Largest least-cost distance (cost-weighted metres) over which two populations on different river
#: systems are taken to exchange deer, e.g. in the centrality of the linkage network: at the median
#: dispersal distance above, a link this long has p = 0.5 ** (300 / 30), under 1 in 1000. Populations of
#: one river system are linked whatever their distance: the river is their route.
MAX_EXCHANGE_CWD_M: float = 300_000.0


def network_sites(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The sites that are nodes of the programme's habitat network.

    Parameters
    ----------
    sites : GeoDataFrame
        Sites of the schema (``id``, ``kind``, ``status``), any CRS.

    Returns
    -------
    GeoDataFrame
        The located sites of a kind in :data:`NODE_KINDS` and a status in
        :data:`NODE_STATUSES`, in the input's order and CRS.

    Raises
    ------
    DataError
        If a column is missing.
    """
    for col in ("id", "kind", "status"):
        if col not in sites.columns:
            raise DataError(f"sites, field {col!r}: missing; give sites of the schema in the README (section 'The sites schema').")
    located = ~(sites.geometry.isna() | sites.geometry.is_empty)
    keep = sites["kind"].isin(NODE_KINDS) & sites["status"].isin(NODE_STATUSES) & located
    return sites[keep].copy()
