"""Parse the work programme text into data/programme/measures.csv (92 measures: 66 of the programme, 26 of Annex 1).

Usage::

    python scripts/build_measures.py PATH/TO/work-programme-2025-2032.txt [--out data/programme/measures.csv]

The seed text is the plain-text export of the draft work programme: table
cells are lines that start with a tab and table rows are separated by blank
lines. A row whose first cell is ``N.0`` opens a section; a row whose first
cell is ``N.M`` is a measure (id, text, priority, responsibility). Everything
before ``ANNEX 1`` is the programme, everything after it the annex.

Which sites of ``data/sites.geojson`` a measure concerns is a reading of the
text, kept by hand in ``MEASURE_SITES`` below (the one place it is decided):
a population-specific measure always concerns its population unit, plus the
places it names, plus (sections 2-7) the subpopulations those places lie in
(their ``parent`` chain in data/programme/places.csv). Section 1 and Annex 1
measures are range-wide and name no place, so they list no site. ``scripts/build_sites.py`` derives each site's
``measures`` from this column, so the two always agree.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from corridors.programme import MEASURE_COLUMNS  # noqa: E402

DEFAULT_OUT = REPO / "data" / "programme" / "measures.csv"
DEFAULT_PLACES = REPO / "data" / "programme" / "places.csv"

COLUMNS = [*MEASURE_COLUMNS, "footnote"]

#: Measure section -> population unit (sections do not follow unit numbers).
SECTION_UNIT = {2: 3, 3: 2, 4: 1, 5: 4, 6: 5, 7: 6, 8: 7, 9: 8}

ISO3 = ("AFG", "KAZ", "TJK", "TKM", "UZB")
COUNTRY_NAMES = {
    "Afghanistan": "AFG",
    "Kazakhstan": "KAZ",
    "Tajikistan": "TJK",
    "Turkmenistan": "TKM",
    "Uzbekistan": "UZB",
}

#: Countries of sections whose heading carries no tag: section 1 and the annex
#: are range-wide (all five Range States of the MOU), section 8 (unit 7
#: groups) is Tajik unless the text says otherwise, section 9 (unit 8
#: captive groups) covers the three states that keep enclosures.
SECTION_DEFAULT_COUNTRIES = {
    ("programme", 1): ISO3,
    ("programme", 8): ("TJK",),
    ("programme", 9): ("KAZ", "TJK", "UZB"),
}

_CAPTIVE = [
    "captive-baday-tugay",
    "captive-khorezm-nnp",
    "captive-zarafshon-nnp",
    "captive-syr-darya",
    "captive-lower-ile",
    "captive-romit",
    "captive-sarikhosor",
    "captive-khutalon",
]

#: Programme measure id -> ids of the sites it concerns (besides its unit,
#: which every measure of sections 2-7 gets automatically).
MEASURE_SITES: dict[str, list[str]] = {
    # 2 Lower Amu Darya (unit 3)
    "2.1": ["amu-darya-ssnr", "kyzylkum-ssnr", "nazarkhan", "end-tkm-tugay-lower"],
    "2.2": ["uz1", "labr"],
    "2.3": ["baday-tugay"],
    "2.5": ["cand-sudochye-akpetki"],
    "2.8": ["labr", "baday-tugay"],
    "2.9": ["hotspot-38"],
    "2.10": ["cand-khorezm-yangibozor", "cand-khorezm-urgench"],
    # 3 Middle Amu Darya (unit 2)
    "3.1": ["tm1"],
    "3.2": ["kyzylkum-ssnr", "cand-kyzylkum-ssnr-extension"],
    "3.4": ["amu-darya-ssnr", "kyzylkum-ssnr"],
    "3.6": ["yeraji-sr", "amu-darya-ssnr"],
    "3.7": ["hotspot-38"],
    # 4 Upper Amu Darya (unit 1)
    "4.1": ["cand-darqad"],
    "4.2": ["hotspot-5", "hotspot-6", "hotspot-7"],
    "4.3": ["tj1", "beshai-palangon"],
    "4.4": ["vakhsh-cascade"],
    "4.6": ["tj4", "hamadoni-district", "parkhar-district"],
    "4.7": ["cand-termez-pa"],
    "4.9": ["maimun-tugay", "hotspot-7"],
    # 5 Zarafshon (unit 4)
    "5.1": ["zarafshon-nnp", "cand-zarafshon-nnp-extension"],
    "5.3": ["zarafshon-nnp"],
    "5.4": ["zarafshon-sr"],
    "5.6": ["hotspot-35"],
    "5.7": ["hotspot-35"],
    "5.8": ["zarafshon-nnp", "zarafshon-sr"],
    # 6 Syr Darya (unit 5)
    "6.1": ["kz2"],
    "6.3": ["cand-kyzyltau-baijurkum", "cand-arys-district"],
    "6.4": ["end-turkistan", "end-aral"],
    "6.6": ["cand-syr-darya-delta", "cand-zhanadarya"],
    # 7 Ile-Balkhash (unit 6)
    "7.2": ["kz3", "ile-balkhash-reserve"],
    "7.3": ["ile-balkhash-reserve", "cand-ile-balkhash-extension"],
    "7.4": ["end-kapchagai", "ile-balkhash-reserve"],
    "7.5": ["cand-manul", "cand-altyn-emel"],
    "7.7": ["kz1", "karachingil"],
    "7.9": ["cand-upper-ile"],
    # 8 groups outside the native range (unit 7)
    "8.1": ["khutalon", "dashtijum"],
    "8.2": ["khutalon", "dashtijum"],
    "8.3": ["cand-ulyshor", "cand-rakhmankel", "cand-yeraji-wetlands"],
    # 9 captive groups (unit 8)
    "9.1": _CAPTIVE,
    "9.2": _CAPTIVE,
    "9.3": _CAPTIVE,
}

_FOOTNOTE_REF = re.compile(r"\[footnoteRef:\d+\]")
_FOOTNOTE_BODY = re.compile(r"\[(\d+):\s*(.*?)\]")
_NUMBER = re.compile(r"^(\d+)\.(\d+)$")


def _rows(lines: list[str]) -> list[list[str]]:
    """Group tab-led cell lines into table rows, one row per ``N.M`` number cell.

    A row runs from a number cell to the next one. Blank lines are not used as
    row breaks because a cell with a footnote is followed by a blank line in
    the middle of its row (measures 8.3 and annex 6.2).
    """
    rows: list[list[str]] = []
    for line in lines:
        if line.startswith("\t"):
            cell = line.strip()
            if _NUMBER.match(cell):
                rows.append([cell])
            elif rows:
                rows[-1].append(cell)
    return rows


def _countries(text: str) -> list[str]:
    """ISO3 codes a measure's text names, by tag (``(UZB-TKM)``) or by country name."""
    found = set(re.findall(r"\b(" + "|".join(ISO3) + r")\b", text))
    found |= {code for name, code in COUNTRY_NAMES.items() if name in text}
    return sorted(found)


def _subpopulation_of(places: Path | None) -> dict[str, str]:
    """Place id -> id of the subpopulation it lies in (following ``parent``), from the places table."""
    if places is None or not places.exists():
        return {}
    with places.open(encoding="utf-8", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    out = {}
    for pid in rows:
        seen, cur = set(), rows[pid].get("parent", "")
        while cur and cur in rows and cur not in seen:
            if rows[cur]["kind"] == "subpopulation":
                out[pid] = cur
                break
            seen.add(cur)
            cur = rows[cur].get("parent", "")
    return out


def parse(seed: Path, places: Path | None = DEFAULT_PLACES) -> list[dict[str, str]]:
    """Parse the seed text into one dict per measure, columns as ``COLUMNS``.

    Parameters
    ----------
    seed : pathlib.Path
        The plain-text work programme.
    places : pathlib.Path or None
        The places table, to add the subpopulations that named places lie in;
        ``None`` skips that step.

    Returns
    -------
    list of dict
        The 92 measures in document order.
    """
    text = seed.read_text(encoding="utf-8")
    head, sep, annex = text.partition("ANNEX 1")
    if not sep:
        raise SystemExit(f"{seed}: no 'ANNEX 1' heading found; is this the work programme text?")
    subpop = _subpopulation_of(places)
    out: list[dict[str, str]] = []
    for part, body in (("programme", head), ("annex1", annex)):
        section, title, section_countries = 0, "", ()
        for row in _rows(body.splitlines()):
            m = _NUMBER.match(row[0])
            if not m:
                continue
            sec, num = int(m.group(1)), int(m.group(2))
            if num == 0:
                section = sec
                raw = row[1] if len(row) > 1 else ""
                tag = re.search(r"\(([A-Z, ]+)\)\s*$", raw)
                section_countries = tuple(sorted(re.findall(r"[A-Z]{3}", tag.group(1)))) if tag else ()
                title = re.sub(r"\s*\([A-Z, ]+\)\s*$", "", raw).strip()
                continue
            # cells: number, text, priority, responsibility; empty spacer rows after them are dropped
            cells = (row + ["", "", "", ""])[:4]
            mid = f"{sec}.{num}" if part == "programme" else f"A{sec}.{num}"
            body_text = cells[1]
            notes = [f"[{n}] {b.strip()}" for n, b in _FOOTNOTE_BODY.findall(body_text)]
            clean = _FOOTNOTE_BODY.sub(" ", _FOOTNOTE_REF.sub("", body_text))
            clean = re.sub(r"\s+([,.;:)])", r"\1", re.sub(r"\s+", " ", clean)).strip()
            countries = _countries(clean)
            if not countries:
                countries = list(section_countries) or list(
                    SECTION_DEFAULT_COUNTRIES.get((part, sec), ISO3 if part == "annex1" else ())
                )
            unit = SECTION_UNIT.get(sec) if part == "programme" else None
            sites: list[str] = []
            if part == "programme":
                if unit is not None and unit <= 6:
                    sites.append(f"unit-{unit}")
                named = MEASURE_SITES.get(mid, [])
                if unit is not None and unit <= 6:
                    # a place a measure names brings in the subpopulation it lies in
                    named = [x for sid in named for x in (sid, subpop.get(sid)) if x]
                sites += named
            out.append(
                {
                    "id": mid,
                    "number": f"{sec}.{num}",
                    "part": part,
                    "section": str(sec),
                    "section_title": title,
                    "population_unit": "" if unit is None else str(unit),
                    "text": clean,
                    "priority": cells[2].strip(),
                    "responsible": re.sub(r"\s*,\s*", ", ", cells[3].strip()),
                    "countries": ";".join(countries),
                    "site_ids": ";".join(dict.fromkeys(sites)),
                    "footnote": " ".join(notes),
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: parse the seed and write the CSV."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seed", type=Path, help="the work programme as plain text")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write (default: %(default)s)")
    ap.add_argument("--places", type=Path, default=DEFAULT_PLACES, help="places table (default: %(default)s)")
    args = ap.parse_args(argv)
    rows = parse(args.seed, args.places)
    unknown = set(MEASURE_SITES) - {r["id"] for r in rows}
    if len(rows) == 92 and unknown:  # checked on the full programme only (tests parse small extracts)
        raise SystemExit(f"MEASURE_SITES names measures not in the text: {sorted(unknown)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    tmp.replace(args.out)
    n_prog = sum(r["part"] == "programme" for r in rows)
    sys.stdout.write(f"{args.out}: {len(rows)} measures ({n_prog} programme, {len(rows) - n_prog} annex)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
