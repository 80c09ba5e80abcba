"""Tests of the measures loader (corridors.sites.load_measures) and of the parser that builds data/programme/measures.csv.

The facts of the bundled table (counts, priorities, countries, sites) are in test_data_measures.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from corridors import programme as P
from corridors import sites as S
from corridors._errors import DataError

from _helpers import load_script


@pytest.fixture(scope="module")
def builder():
    return load_script("build_measures")


def test_parser_on_a_known_table(builder, tmp_path):
    text = (
        "Intro\n\n\t1.0\n\tMeasures affecting several\n\t\n\t\n\n"
        "\t1.1\n\tDo one thing.\n\t1\n\tGOs,NGOs\n\n"
        "\t2.0\n\tLower Amu Darya (TKM, UZB)\n\t\n\t\n\n"
        "\t2.1\n\tA corridor (UZB-TKM)[footnoteRef:4] here [4:  Not found.] \n\n\t2-3\n\tGOs\n\n"
        "\t2.4\n\tRestore forests\n\t2\n\tNGOs\n\t\n\t\n\n"
        " ANNEX 1\n\n\t1.0\n\tMaintain habitat\n\tPriority \n\tResponsible Organization\n\n"
        "\t1.1\n\tExamine PCAs.\n\t\n\tGOs\n"
    )
    seed = tmp_path / "seed.txt"
    seed.write_text(text, encoding="utf-8")
    rows = builder.parse(seed)
    assert [r["id"] for r in rows] == ["1.1", "2.1", "2.4", "A1.1"]
    r = {x["id"]: x for x in rows}
    assert r["2.1"]["text"] == "A corridor (UZB-TKM) here"
    assert r["2.1"]["footnote"] == "[4] Not found."
    assert r["2.1"]["priority"] == "2-3" and r["2.1"]["countries"] == "TKM;UZB"
    assert r["2.4"]["countries"] == "TKM;UZB" and r["2.4"]["population_unit"] == "3"
    assert r["2.4"]["site_ids"] == "unit-3"  # a measure that names no place concerns its unit
    assert r["2.1"]["site_ids"].startswith("unit-3;amu-darya-ssnr;")
    assert r["1.1"]["responsible"] == "GOs, NGOs" and r["1.1"]["population_unit"] == ""
    assert r["A1.1"]["priority"] == "" and r["A1.1"]["part"] == "annex1"
    assert r["A1.1"]["section_title"] == "Maintain habitat"


def test_parser_writes_the_csv(builder, tmp_path):
    seed = tmp_path / "seed.txt"
    seed.write_text("\t1.0\n\tAll\n\n\t1.1\n\tDo it.\n\t1\n\tGOs\n\n ANNEX 1\n", encoding="utf-8")
    out = tmp_path / "m.csv"
    assert builder.main([str(seed), "--out", str(out)]) == 0
    got = P.load_measures(out)
    assert list(got["id"]) == ["1.1"] and got.loc[0, "countries"] == ["AFG", "KAZ", "TJK", "TKM", "UZB"]


# --- bad inputs ---------------------------------------------------------------


def _csv(tmp_path, rows, drop=None):
    cols = [c for c in P.MEASURE_COLUMNS if c != drop]
    df = pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows])
    path = tmp_path / "measures.csv"
    df.to_csv(path, index=False)
    return path


GOOD = {
    "id": "2.1",
    "number": "2.1",
    "part": "programme",
    "section": "2",
    "population_unit": "3",
    "priority": "1",
    "text": "t",
}


def test_loader_accepts_a_good_row(tmp_path):
    got = P.load_measures(_csv(tmp_path, [GOOD]))
    assert got.loc[0, "population_unit"] == 3 and got.loc[0, "site_ids"] == []


@pytest.mark.parametrize(
    "rows, drop, pattern",
    [
        ([GOOD], "priority", r"measures\.csv, field 'priority': column missing"),
        ([GOOD, GOOD], None, r"measures\.csv, feature '2\.1', field 'id': duplicate measure id"),
        ([{**GOOD, "priority": "high"}], None, r"feature '2\.1', field 'priority': unknown priority 'high'"),
        ([{**GOOD, "part": "annex2"}], None, r"feature '2\.1', field 'part': unknown part 'annex2'"),
        ([{**GOOD, "population_unit": "12"}], None, r"feature '2\.1', field 'population_unit': '12' is not a unit"),
    ],
)
def test_loader_errors(tmp_path, rows, drop, pattern):
    with pytest.raises(DataError, match=pattern):
        P.load_measures(_csv(tmp_path, rows, drop))


def test_loader_missing_and_empty(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.csv: file not found"):
        P.load_measures(tmp_path / "nowhere.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(P.MEASURE_COLUMNS) + "\n")
    with pytest.raises(DataError, match=r"empty\.csv: the table holds no measure"):
        P.load_measures(empty)
    blank = tmp_path / "blank.csv"
    blank.write_text("")
    with pytest.raises(DataError, match=r"blank\.csv: cannot be read as a CSV table"):
        P.load_measures(blank)
