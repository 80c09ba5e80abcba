"""`corridors network`: the habitat-connectivity graph of the programme (or of a Conefor project), its metrics and what-if gains."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from corridors.cli import main
from corridors.settings import WORKING_CRS

from _helpers import error_line, invoke, usage_error


def test_help_names_the_sources_and_the_conefor_files():
    result = invoke("network", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--source", "--capacity", "--median-dispersal-km", "--conefor-nodes", "--conefor-links", "network.gpkg"):
        assert word in result.output


def test_two_sites_in_a_straight_line_by_hand(tmp_path, toy_sites_file):
    # capacities 1 and 1, one link at p = 0.5 ** (d / 25 km): PCnum = 1 + 1 + 2 p over A_L = 2; IIC = (1 + 1 + 2 / 2) / 4
    res = invoke("-q", "network", "-o", tmp_path / "out", "--sites", toy_sites_file, "--source", "euclidean",
                 "--capacity", "equal", "--median-dispersal-km", "25", "--no-map")
    assert res.exit_code == 0, res.output
    west, east = gpd.read_file(toy_sites_file).to_crs(WORKING_CRS).geometry
    d = west.distance(east)
    links = pd.read_csv(tmp_path / "out" / "network_links.csv")
    assert len(links) == 1 and links["distance_m"].iloc[0] == pytest.approx(d, rel=1e-6)
    p = 0.5 ** (d / 25_000.0)
    assert links["probability"].iloc[0] == pytest.approx(p, rel=1e-6)
    s = pd.read_csv(tmp_path / "out" / "network_summary.csv").set_index("name").loc["programme"]
    assert s["n_nodes"] == 2 and s["PCnum"] == pytest.approx(2 + 2 * p) and s["PC"] == pytest.approx((2 + 2 * p) / 4)
    assert s["IIC"] == pytest.approx(0.75)
    assert not (tmp_path / "out" / "network_map.png").exists()  # --no-map


def test_bad_numbers_and_half_a_conefor_project_are_refused(tmp_path, conefor_project):
    usage_error(invoke("network", "-o", tmp_path / "o", "--median-dispersal-km", "0"), "'--median-dispersal-km'")
    nodes, _ = conefor_project
    line = error_line(invoke("network", "-o", tmp_path / "o", "--conefor-nodes", nodes))
    assert "--conefor-nodes and --conefor-links" in line
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_cli_on_the_bundled_programme(tmp_path):
    res = CliRunner().invoke(main, ["network", "-o", str(tmp_path), "--export-conefor"])
    assert res.exit_code == 0, res.output
    for name in ("network.gpkg", "network_nodes.csv", "network_links.csv", "network_summary.csv", "network_whatif.csv",
                 "network_borders.csv", "provenance.json", "network_map.png", "network_map.svg", "conefor_nodes.txt"):
        assert (tmp_path / name).exists(), name
    nodes = gpd.read_file(tmp_path / "network.gpkg", layer="nodes")
    for col in ("dPC", "dPCintra", "dPCflux", "dPCconnector", "dIIC", "BC", "BCPC", "dPC_system", "capacity"):
        assert col in nodes.columns
    np.testing.assert_allclose(nodes["dPCintra"] + nodes["dPCflux"] + nodes["dPCconnector"], nodes["dPC"], atol=1e-9)
    # one programme network: the free-ranging populations, as in every scenario (protected areas are not nodes)
    assert set(nodes["kind"]) == {"subpopulation", "outside_range"}
    links = gpd.read_file(tmp_path / "network.gpkg", layer="links")
    assert {"probability", "distance_m", "borders", "dPC"} <= set(links.columns)
    assert (links["probability"].between(0, 1)).all()
    summary = pd.read_csv(tmp_path / "network_summary.csv")
    assert {"amu_darya", "zarafshon", "syr_darya", "ile"} <= set(summary["name"])
    assert (summary["EC_PC"] <= summary["total_capacity"] * (1 + 1e-12)).all()
    whatif = pd.read_csv(tmp_path / "network_whatif.csv")
    assert (np.diff(whatif["dEC"]) <= 1e-9).all() and (whatif["dEC"] >= -1e-6).all()
    assert {"site", "corridor"} <= set(whatif["kind"])
    assert "2.1a" in set(whatif["id"].astype(str))
    assert "cand-zhanadarya" not in set(whatif["id"])  # unresolved: no location, not ranked
    assert "cand-zhanadarya" in res.output


def test_cli_conefor_project_and_errors(tmp_path, conefor_project):
    nodes, links = conefor_project
    res = CliRunner().invoke(main, ["network", "-o", str(tmp_path / "out"), "--conefor-nodes", str(nodes),
                                    "--conefor-links", str(links), "--conefor-kind", "probability",
                                    "--landscape-area", "100"])
    assert res.exit_code == 0, res.output
    s = pd.read_csv(tmp_path / "out" / "network_summary.csv").iloc[0]
    # 100 + 400 + 900 + 2 * (10*20*.5 + 20*30*.4 + 10*30*.2) = 1400 + 800
    assert s["PCnum"] == pytest.approx(2200.0)
    assert s["PC"] == pytest.approx(0.22)
    links.write_text("1 2 0.5\n2 9 0.4\n")
    res = CliRunner().invoke(main, ["network", "-o", str(tmp_path / "out2"), "--conefor-nodes", str(nodes),
                                    "--conefor-links", str(links), "--conefor-kind", "probability"])
    assert res.exit_code == 1
    assert "node id '9' is not in the node table" in res.output
    assert not (tmp_path / "out2" / "network_nodes.csv").exists()
    res = CliRunner().invoke(main, ["network", "--permeability", "TKMUZB=0.3"])
    assert res.exit_code == 1 and "BORDER=FACTOR" in res.output


def test_cli_conefor_project_refuses_programme_options_and_exports(tmp_path, conefor_project):
    # Options that only shape the programme's graph used to be ignored in silence with a Conefor project.
    nodes, links = conefor_project
    project = ["--conefor-nodes", str(nodes), "--conefor-links", str(links), "--conefor-kind", "probability"]
    for extra, flag in ((["--source", "least_cost"], "--source"), (["--permeability", "TKM-UZB=0.3"], "--permeability"),
                        (["--capacity", "equal"], "--capacity"), (["--median-dispersal-km", "3"], "--median-dispersal-km")):
        res = CliRunner().invoke(main, ["network", "-o", str(tmp_path / "bad"), *project, *extra])
        assert res.exit_code == 1, extra
        assert res.output.count("\n") == 1 and res.output.startswith(f"error: {flag}")
        assert not (tmp_path / "bad").exists()
    res = CliRunner().invoke(main, ["network", "-o", str(tmp_path / "bad"), "--conefor-kind", "probability"])
    assert res.exit_code == 1 and "--conefor-kind" in res.output
    res = CliRunner().invoke(main, ["-q", "network", "-o", str(tmp_path / "out"), *project, "--export-conefor"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "conefor_nodes.txt").read_text().split() == ["1", "10", "2", "20", "3", "30"]
    assert len((tmp_path / "out" / "conefor_links.txt").read_text().splitlines()) == 2


def test_old_source_names_still_work_with_a_warning(tmp_path, toy_sites_file):
    res = invoke("-q", "network", "-o", tmp_path / "out", "--sites", toy_sites_file, "--source", "straight",
                 "--capacity", "equal", "--no-map", "--no-whatif")
    assert res.exit_code == 0, res.output
    assert "warning: --source straight is now called euclidean" in res.output
    prov = (tmp_path / "out" / "provenance.json").read_text()
    assert '"source": "euclidean"' in prov


def test_resolution_in_metres_and_the_old_km_spelling(tmp_path, toy_sites_file):
    common = ["-q", "network", "--sites", toy_sites_file, "--source", "euclidean", "--no-map", "--no-whatif"]
    new = invoke(*common, "-o", tmp_path / "m", "--resolution", "20000")
    assert new.exit_code == 0, new.output
    old = invoke(*common, "-o", tmp_path / "km", "--resolution-km", "20")
    assert old.exit_code == 0, old.output
    assert "warning: --resolution-km is now --resolution in metres" in old.output
    for out in ("m", "km"):
        prov = json.loads((tmp_path / out / "provenance.json").read_text())
        assert prov["parameters"]["resolution_m"] == 20000.0
    both = invoke(*common, "-o", tmp_path / "b", "--resolution", "20000", "--resolution-km", "20")
    assert both.exit_code == 2


def test_a_network_grid_too_large_for_memory_is_refused_before_it_is_built(tmp_path, monkeypatch):
    # --resolution 100 (the old --resolution-km 0.1, its own minimum) died with NumPy's _ArrayMemoryError after 9 s.
    # The programme's extent at 100 m snaps to 12,766 x 19,409 cells; 52 bytes a cell = 12.0 GiB.
    from corridors import settings

    monkeypatch.setattr(settings, "available_memory", lambda: 8 * 2**30)
    line = error_line(invoke("network", "--source", "least_cost", "--resolution", "100", "-o", tmp_path / "o"))
    assert ("--resolution) 100 m: the network's surfaces on 12,766 x 19,409 cells need about 12.0 GiB, "
            "but only 8.00 GiB is available") in line
    line = error_line(invoke("network", "--source", "least_cost", "--resolution", "1000", "--memory-limit", "64MB",
                             "-o", tmp_path / "o"))
    assert "1,277 x 1,941 cells need about 123 MiB, but only 64.0 MiB is allowed (--memory-limit)" in line
    assert not (tmp_path / "o").exists()
