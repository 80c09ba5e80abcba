"""Facts of the bundled measures table (data/programme/measures.csv): how many, per section and unit, priorities, countries, sites.

The loader and the parser that builds the table are tested in test_measures.py.
"""

from __future__ import annotations

import pandas as pd
import pytest


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
