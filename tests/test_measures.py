"""Tests of the measures table (data/programme/measures.csv), its loader and the parser that builds it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from corridors import programme as P
from corridors import sites as S
from corridors._errors import DataError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def measures() -> pd.DataFrame:
    return P.load_measures()


@pytest.fixture(scope="module")
def builder():
    spec = importlib.util.spec_from_file_location("build_measures", REPO / "scripts" / "build_measures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_92_measures(measures):
    assert len(measures) == 92
    assert measures["id"].is_unique
    assert (measures["part"] == "programme").sum() == 66
    assert (measures["part"] == "annex1").sum() == 26


def test_measures_per_section(measures):
    prog = measures[measures["part"] == "programme"]
    counts = prog.groupby(prog["section"].astype(int)).size().to_dict()
    assert counts == {1: 6, 2: 12, 3: 7, 4: 10, 5: 9, 6: 7, 7: 9, 8: 3, 9: 3}
    annex = measures[measures["part"] == "annex1"]
    counts = annex.groupby(annex["section"].astype(int)).size().to_dict()
    assert counts == {1: 4, 2: 3, 3: 6, 4: 6, 5: 5, 6: 2}
    # the annex skips 1.4 in the source; its ids carry the A prefix
    assert "A1.4" not in set(annex["id"]) and {"A1.3", "A1.5", "A6.2"} <= set(annex["id"])
    assert all(i == f"A{n}" for i, n in zip(annex["id"], annex["number"]))
    assert all(i == n for i, n in zip(prog["id"], prog["number"]))


def test_sections_map_to_population_units(measures):
    prog = measures[measures["part"] == "programme"]
    unit = dict(zip(prog["section"].astype(int), prog["population_unit"]))
    assert unit[2] == 3 and unit[3] == 2 and unit[4] == 1 and unit[5] == 4
    assert unit[6] == 5 and unit[7] == 6 and unit[8] == 7 and unit[9] == 8
    assert prog.loc[prog["section"] == "1", "population_unit"].isna().all()
    assert measures.loc[measures["part"] == "annex1", "population_unit"].isna().all()
    titles = dict(zip(prog["section"].astype(int), prog["section_title"]))
    assert titles[2] == "Lower Amu Darya" and titles[4] == "Upper Amu Darya" and titles[7] == "Ile-Balkhash basin"


@pytest.mark.parametrize(
    "mid, priority",
    [
        ("1.1", "1"),
        ("1.6", "2"),
        ("2.10", "3"),
        ("3.6", "2-3"),
        ("8.3", "2-3"),
        ("A4.1", ""),
        ("A4.2", ""),
        ("A6.2", "1"),
    ],
)
def test_priorities(measures, mid, priority):
    assert measures.set_index("id").loc[mid, "priority"] == priority


def test_priority_counts(measures):
    assert measures["priority"].value_counts().to_dict() == {"1": 40, "2": 33, "3": 15, "2-3": 2, "": 2}


@pytest.mark.parametrize(
    "mid, countries",
    [
        ("2.3", ["UZB"]),
        ("2.5", ["KAZ", "UZB"]),
        ("2.9", ["TKM", "UZB"]),
        ("3.1", ["TKM"]),
        ("4.1", ["AFG"]),
        ("4.9", ["AFG", "UZB"]),
        ("5.2", ["TJK", "UZB"]),
        ("6.6", ["KAZ", "UZB"]),
        ("7.1", ["KAZ"]),
        ("8.3", ["TKM"]),
        ("1.2", ["AFG", "KAZ", "TJK", "TKM", "UZB"]),
    ],
)
def test_countries(measures, mid, countries):
    assert measures.set_index("id").loc[mid, "countries"] == countries


def test_text_and_responsibility(measures):
    m = measures.set_index("id")
    assert m.loc["6.3", "text"].endswith("“Kyzyltau” Baijurkum forestry and Arys district (Turkistan region)")
    assert "footnote" not in " ".join(measures["text"])
    assert m.loc["6.3", "footnote"].startswith("[4] This location could not be identified")
    assert m.loc["8.3", "footnote"].startswith("[6] The sites could not be identified")
    assert m.loc["2.5", "text"].startswith("Assess feasibility of reintroduction in the new special reserve Sudochye")
    assert m.loc["7.7", "responsible"] == "GOs, NGOs, private business, scientific institutes"
    assert m.loc["A5.2", "responsible"] == "CMS"
    assert (measures["text"].str.len() > 40).all()


def test_site_ids(measures):
    m = measures.set_index("id")
    # every population-specific measure concerns its unit; range-wide ones name no site
    for mid, row in m[m["part"] == "programme"].iterrows():
        unit = row["population_unit"]
        if pd.notna(unit) and unit <= 6:
            assert row["site_ids"][0] == f"unit-{unit}", mid
    assert m.loc["1.3", "site_ids"] == [] and m.loc["A2.1", "site_ids"] == []
    assert m.loc["6.6", "site_ids"] == ["unit-5", "cand-syr-darya-delta", "cand-zhanadarya"]
    assert len(m.loc["9.2", "site_ids"]) == 8


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
