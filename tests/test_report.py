"""Report tables: one number format per column, so a column reads alike from row to row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridors.report import Block, to_html, to_markdown


def _rows(md: str) -> list[list[str]]:
    lines = [ln for ln in md.splitlines() if ln.startswith("| ")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]


def test_each_column_has_one_format():
    df = pd.DataFrame({
        "name": ["a", "b", "c"],
        "ec_ha": [1_523_456.7, 523.4, 12.0],  # hectares: whole numbers, thousands separators, never 1.52e+06
        "cwd_to_euclid": [1.234, 12.5, np.nan],  # ratios: two decimals; NaN is blank
        "share": [0.5, 0.0123, 0.25],  # shares below 1: three decimals
        "pc": [2.5e-5, 1.0e-6, 3.3e-4],  # only tiny values: scientific, three digits each
        "ec_change_pct": [0.0, 6.4, -1.25],  # percent changes carry their sign
        "n": [3, 14, 2],  # integers stay integers
        "cwd_change_pct": [0.0, 0.0, 0.0],
        "area_ha": [0.0, 0.0, 0.0],
    })
    rows = _rows(to_markdown([Block("table", table=df)]))
    assert rows[0] == ["name", "ec_ha", "cwd_to_euclid", "share", "pc", "ec_change_pct", "n", "cwd_change_pct", "area_ha"]
    assert [r[1] for r in rows[1:]] == ["1,523,457", "523", "12"]
    assert [r[2] for r in rows[1:]] == ["1.23", "12.50", ""]
    assert [r[3] for r in rows[1:]] == ["0.500", "0.012", "0.250"]
    assert [r[4] for r in rows[1:]] == ["2.50e-05", "1.00e-06", "3.30e-04"]
    assert [r[5] for r in rows[1:]] == ["+0.00", "+6.40", "-1.25"]
    assert [r[6] for r in rows[1:]] == ["3", "14", "2"]
    assert [r[7] for r in rows[1:]] == ["+0.00"] * 3 and [r[8] for r in rows[1:]] == ["0"] * 3


def test_html_uses_the_same_formats():
    df = pd.DataFrame({"ec_ha": [1_523_456.7, 523.4]})
    html = to_html([Block("table", table=df)], "t")
    assert "1,523,457" in html and "523" in html and "e+06" not in html
