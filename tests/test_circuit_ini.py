"""Circuitscape INI jobs: every key parsed, every output file's name and format, bad input refused with no partial output."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from corridors._errors import ConfigError, DataError, SolverError
from corridors.circuit import compute_job, ini, read_included_pairs, read_ini, run_job
from corridors.cli import main
from corridors.raster import Raster

# 1 x 8 strip: 1-ohm cells, a no-data gap at column 5.
STRIP = "1 1 1 1 1 -9999 1 1"


def _asc(path: Path, rows: list[str], nodata: float = -9999) -> Path:
    ncols = len(rows[0].split())
    head = f"ncols {ncols}\nnrows {len(rows)}\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value {nodata:g}\n"
    path.write_text(head + "\n".join(rows) + "\n")
    return path


def _ini(path: Path, **keys: object) -> Path:
    body = "[Circuitscape mode]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
    path.write_text(body)
    return path


@pytest.fixture()
def strip_job(tmp_path, monkeypatch):
    """A pairwise job on the strip with focal points at columns 0, 4 and 7, run from tmp_path."""
    monkeypatch.chdir(tmp_path)
    _asc(tmp_path / "hab.asc", [STRIP])
    (tmp_path / "pts.txt").write_text("1 0.5 0.5\n2 4.5 0.5\n3 7.5 0.5\n")
    return tmp_path


def _base(**extra) -> dict:
    keys = dict(data_type="raster", scenario="pairwise", habitat_file="hab.asc", point_file="pts.txt",
                output_file="out/strip.out", connect_four_neighbors_only="True")
    keys.update(extra)
    return keys


# ------------------------------------------------------------------ parsing
def test_every_key_is_read(tmp_path):
    p = tmp_path / "all.ini"
    p.write_text(
        "[Options for advanced mode]\n"
        "ground_file_is_resistances = false\nremove_src_or_gnd = rmvgnd\nground_file = g.asc\nuse_unit_currents = 1\n"
        "source_file = s.asc\nuse_direct_grounds = True\n"
        "[Mask file]\nmask_file = m.asc\nuse_mask = true\n"
        "[Calculation options]\nsolver = cholmod\nprint_timings = True\n"
        "[Options for one-to-all and all-to-one modes]\nuse_variable_source_strengths = True\nvariable_source_file = v.txt\n"
        "[Output options]\nset_null_currents_to_nodata = True\nset_focal_node_currents_to_zero = True\n"
        "set_null_voltages_to_nodata = True\ncompress_grids = True\nwrite_cur_maps = True\nwrite_volt_maps = True\n"
        "output_file = res/x.out\nwrite_cum_cur_map_only = True\nlog_transform_maps = True\nwrite_max_cur_maps = True\n"
        "write_as_tif = 1\n"
        "[Short circuit regions (aka polygons)]\npolygon_file = p.asc\nuse_polygons = True\n"
        "[Connection scheme for raster habitat data]\nconnect_four_neighbors_only = True\nconnect_using_avg_resistances = True\n"
        "[Habitat raster or graph]\nhabitat_file = h.asc\nhabitat_map_is_resistances = False\n"
        "[Options for pairwise and one-to-all and all-to-one modes]\nincluded_pairs_file = i.txt\nuse_included_pairs = True\n"
        "point_file = f.txt\n"
        "[Circuitscape mode]\ndata_type = raster\nscenario = one-to-all\n"
    )
    job = read_ini(p)
    assert job.scenario == "one-to-all" and job.data_type == "raster" and job.solver == "cholmod"
    assert job.habitat_file == Path("h.asc") and job.point_file == Path("f.txt") and job.output_file == Path("res/x.out")
    assert job.stem == "x"
    assert (job.ground_file, job.source_file, job.mask_file, job.polygon_file) == (Path("g.asc"), Path("s.asc"), Path("m.asc"), Path("p.asc"))
    assert (job.included_pairs_file, job.variable_source_file) == (Path("i.txt"), Path("v.txt"))
    assert job.remove_src_or_gnd == "rmvgnd"
    trues = ["use_unit_currents", "use_direct_grounds", "use_mask", "use_variable_source_strengths", "set_null_currents_to_nodata",
             "set_focal_node_currents_to_zero", "set_null_voltages_to_nodata", "compress_grids", "write_cur_maps", "write_volt_maps",
             "write_cum_cur_map_only", "log_transform_maps", "write_max_cur_maps", "write_as_tif", "use_polygons",
             "connect_four_neighbors_only", "connect_using_avg_resistances", "use_included_pairs"]
    assert all(getattr(job, k) is True for k in trues)
    assert job.ground_file_is_resistances is False and job.habitat_map_is_resistances is False
    assert job.warnings == []


def test_defaults_unknown_key_and_bad_values(tmp_path):
    p = _ini(tmp_path / "a.ini", scenario="pairwise", habitat_file="h.asc", point_file="f.txt", output_file="o.out", colour="red")
    with pytest.warns(UserWarning, match="unknown key 'colour'"):
        job = read_ini(p)
    assert job.habitat_map_is_resistances and not job.connect_four_neighbors_only and not job.connect_using_avg_resistances
    assert job.solver == "cg+amg" and job.remove_src_or_gnd == "keepall" and job.ground_file_is_resistances
    with pytest.raises(ConfigError, match="key 'write_cur_maps': 'maybe' is not a boolean"):
        read_ini(_ini(tmp_path / "b.ini", scenario="pairwise", write_cur_maps="maybe"))
    with pytest.raises(ConfigError, match="key 'scenario'"):
        read_ini(_ini(tmp_path / "c.ini", scenario="sideways", habitat_file="h", output_file="o.out"))
    with pytest.raises(ConfigError, match="advanced mode needs key 'source_file'"):
        read_ini(_ini(tmp_path / "d.ini", scenario="advanced", habitat_file="h", output_file="o.out"))
    with pytest.raises(ConfigError, match="remove_src_or_gnd"):
        read_ini(_ini(tmp_path / "e.ini", scenario="pairwise", remove_src_or_gnd="both"))
    (tmp_path / "f.ini").write_text("[x]\nscenario pairwise\nthis line has no equals\n")
    with pytest.raises(ConfigError, match="f.ini: not a valid INI file"):
        read_ini(tmp_path / "f.ini")
    with pytest.raises(ConfigError, match="use_mask is True but key 'mask_file' is missing"):
        read_ini(_ini(tmp_path / "g.ini", scenario="pairwise", habitat_file="h", point_file="f", output_file="o.out", use_mask="True"))


def test_included_pairs_formats(tmp_path):
    ids = np.array([1, 2, 3])
    (tmp_path / "inc.txt").write_text("mode include\n0 1 2 3\n1 0 1 0\n2 1 0 0\n3 0 0 0\n")
    m = read_included_pairs(tmp_path / "inc.txt", ids)
    assert m.tolist() == [[False, True, False], [True, False, False], [False, False, False]]
    (tmp_path / "exc.txt").write_text("mode exclude\n0 1 2 3\n1 0 1 0\n2 1 0 0\n3 0 0 0\n")
    assert read_included_pairs(tmp_path / "exc.txt", ids)[0].tolist() == [False, False, True]
    (tmp_path / "mm.txt").write_text("min 2\nmax 5\n0 1 2 3\n1 0 1 3\n2 1 0 9\n3 3 9 0\n")
    assert read_included_pairs(tmp_path / "mm.txt", ids)[0].tolist() == [False, False, True]


# ------------------------------------------------------------------ pairwise outputs
def test_pairwise_outputs_names_and_formats(strip_job):
    _ini(strip_job / "job.ini", **_base(write_cur_maps="True", write_volt_maps="True", write_max_cur_maps="True"))
    files = run_job("job.ini")
    names = sorted(p.name for p in files)
    assert names == sorted(
        ["strip_resistances.out", "strip_resistances_3columns.out", "strip_cum_curmap.asc", "strip_max_curmap.asc"]
        + [f"strip_{k}map_1_2.asc" for k in ("cur", "volt")]
    )  # no maps for the disconnected pairs 1-3 and 2-3, as in Circuitscape
    mat = np.loadtxt(strip_job / "out/strip_resistances.out")
    # First row and column: ids; 0 in the corner; 4 links of 1 ohm between 1 and 2; 3 is cut off: -1.
    assert np.allclose(mat, [[0, 1, 2, 3], [1, 0, 4, -1], [2, 4, 0, -1], [3, -1, -1, 0]], rtol=1e-8)
    three = np.loadtxt(strip_job / "out/strip_resistances_3columns.out")
    assert np.allclose(three, [[1, 2, 4], [1, 3, -1], [2, 3, -1]], rtol=1e-8)
    cur = Raster.read(strip_job / "out/strip_curmap_1_2.asc")
    volt = Raster.read(strip_job / "out/strip_voltmap_1_2.asc")
    assert cur.nodata == -9999 and cur.shape == (1, 8)
    assert cur.array[0].tolist() == pytest.approx([1, 1, 1, 1, 1, 0, 0, 0])
    # Source (first id) at R volts, ground (second id) at 0.
    assert volt.array[0].tolist() == pytest.approx([4, 3, 2, 1, 0, 0, 0, 0])
    cum = Raster.read(strip_job / "out/strip_cum_curmap.asc").array[0]
    assert cum.tolist() == pytest.approx([1, 1, 1, 1, 1, 0, 0, 0])


def test_output_options_nodata_log_zero_focal_compress_tif(strip_job):
    _ini(strip_job / "job.ini", **_base(write_cur_maps="True", write_volt_maps="True", set_null_currents_to_nodata="True",
                                        set_null_voltages_to_nodata="True", compress_grids="True", write_cum_cur_map_only="True",
                                        set_focal_node_currents_to_zero="True"))
    names = sorted(p.name for p in run_job("job.ini"))
    assert "strip_cum_curmap.asc.gz" in names and "strip_voltmap_1_2.asc.gz" in names
    assert not any(n.startswith("strip_curmap_") for n in names)  # cum only
    with gzip.open(strip_job / "out/strip_cum_curmap.asc.gz", "rt") as f:
        assert f.readline().split() == ["ncols", "8"]
    cum = Raster.read(strip_job / "out/strip_cum_curmap.asc.gz")
    # Focal cells zeroed, the no-data gap written as no data.
    assert cum.masked().tolist()[0][:5] == pytest.approx([0, 1, 1, 1, 0]) and np.isnan(cum.masked()[0, 5])
    volt = Raster.read(strip_job / "out/strip_voltmap_1_2.asc.gz")
    assert np.isnan(volt.masked()[0, 5])
    _ini(strip_job / "job2.ini", **_base(output_file="tif/strip.out", write_cur_maps="True", log_transform_maps="True", write_as_tif="True"))
    files = run_job("job2.ini")
    assert {p.suffix for p in files} == {".tif", ".out"}
    logmap = Raster.read(strip_job / "tif/strip_curmap_1_2.tif")
    # log10(1 A) = 0 on the path; zero current has no logarithm: no data.
    assert logmap.masked()[0, :5].tolist() == pytest.approx([0, 0, 0, 0, 0]) and np.isnan(logmap.masked()[0, 6])


def test_include_list_polygons_mask_and_raster_focal_regions(strip_job):
    (strip_job / "inc.txt").write_text("mode include\n0 1 2 3\n1 0 0 0\n2 0 0 1\n3 0 1 0\n")
    _asc(strip_job / "poly.asc", ["0 5 5 5 0 0 0 0"])
    _asc(strip_job / "mask.asc", ["1 1 1 1 1 1 1 0"])
    _ini(strip_job / "job.ini", **_base(use_included_pairs="True", included_pairs_file="inc.txt"))
    run_job("job.ini")
    mat = np.loadtxt(strip_job / "out/strip_resistances.out")
    assert mat[1, 2] == -1 and mat[2, 3] == -1  # 1-2 not included; 2-3 included but disconnected
    _ini(strip_job / "job.ini", **_base(use_polygons="True", polygon_file="poly.asc"))
    run_job("job.ini")
    assert np.loadtxt(strip_job / "out/strip_resistances.out")[1, 2] == pytest.approx(2.0)  # cells 1-3 short-circuited
    # Focal regions from a raster: id 1 covers columns 0-1, id 2 columns 3-4.
    _asc(strip_job / "regions.asc", ["1 1 0 2 2 0 0 0"])
    _ini(strip_job / "job.ini", **_base(point_file="regions.asc"))
    run_job("job.ini")
    assert np.loadtxt(strip_job / "out/strip_resistances.out")[1, 2] == pytest.approx(2.0)
    # A mask dropping column 7 puts focal point 3 on a masked cell.
    _ini(strip_job / "job.ini", **_base(use_mask="True", mask_file="mask.asc", output_file="masked/strip.out"))
    # named by its coordinates and 1-based row/column, as a GIS user counts them (point 3 is at x 7.5 in column 8)
    with pytest.raises(DataError, match=r"focal id 3 \(cell centre 7\.5, 0\.5; row 1, column 8 from the top left\) lies on a no-data or masked cell"):
        run_job("job.ini")
    assert not (strip_job / "masked").exists() or not any((strip_job / "masked").iterdir())


def test_output_folder_that_is_a_file_is_a_data_error(strip_job):
    # used to end in FileExistsError with a traceback
    (strip_job / "afile").write_text("")
    _ini(strip_job / "job.ini", **_base(output_file="afile/strip.out"))
    with pytest.raises(DataError, match=r"key 'output_file' \(afile/strip\.out\): cannot write into the folder afile"):
        run_job("job.ini")


# ------------------------------------------------------------------ other modes
def test_one_to_all_and_all_to_one_outputs(strip_job):
    (strip_job / "pts2.txt").write_text("1 0.5 0.5\n2 2.5 0.5\n3 4.5 0.5\n")
    (strip_job / "strengths.txt").write_text("1 1\n2 1\n3 3\n")
    _ini(strip_job / "job.ini", **_base(scenario="one-to-all", point_file="pts2.txt", write_cur_maps="True",
                                        write_volt_maps="True", write_max_cur_maps="True"))
    names = sorted(p.name for p in run_job("job.ini"))
    assert names == sorted(["strip_cum_curmap.asc", "strip_max_curmap.asc"]
                           + [f"strip_{k}map_{i}.asc" for k in ("cur", "volt") for i in (1, 2, 3)])
    v2 = Raster.read(strip_job / "out/strip_voltmap_2.asc").array[0]
    assert v2[:5].tolist() == pytest.approx([0, 0.5, 1.0, 0.5, 0])  # 1 A into 2 ohm || 2 ohm
    _ini(strip_job / "job.ini", **_base(scenario="all-to-one", point_file="pts2.txt", write_volt_maps="True",
                                        use_variable_source_strengths="True", variable_source_file="strengths.txt"))
    run_job("job.ini")
    v1 = Raster.read(strip_job / "out/strip_voltmap_1.asc").array[0]
    assert v1[:5].tolist() == pytest.approx([0, 4, 8, 11, 14])  # 1 A from cell 2, 3 A from cell 4, ground at 0


def test_advanced_outputs_and_policies(strip_job):
    _asc(strip_job / "src.asc", ["1 0 0 0 0 0 0 0"])
    _asc(strip_job / "gnd.asc", ["-9999 -9999 -9999 -9999 2 -9999 -9999 -9999"])
    keys = _base(scenario="advanced", source_file="src.asc", ground_file="gnd.asc", write_cur_maps="True", write_volt_maps="True")
    keys.pop("point_file")
    _ini(strip_job / "job.ini", **keys)
    assert sorted(p.name for p in run_job("job.ini")) == ["strip_curmap.asc", "strip_voltmap.asc"]
    v = Raster.read(strip_job / "out/strip_voltmap.asc").array[0]
    assert v[:5].tolist() == pytest.approx([6, 5, 4, 3, 2])  # 4 links + a 2-ohm ground resistor
    _ini(strip_job / "job.ini", **{**keys, "ground_file_is_resistances": "False"})
    run_job("job.ini")
    assert Raster.read(strip_job / "out/strip_voltmap.asc").array[0, 0] == pytest.approx(4.5)  # ground conductance 2 S
    _ini(strip_job / "job.ini", **{**keys, "use_direct_grounds": "True"})
    run_job("job.ini")
    assert Raster.read(strip_job / "out/strip_voltmap.asc").array[0, 0] == pytest.approx(4.0)
    # A cell that is both source and ground: rmvsrc leaves no source, which is an error naming the file.
    _asc(strip_job / "gnd2.asc", ["0 -9999 -9999 -9999 2 -9999 -9999 -9999"])
    _ini(strip_job / "job.ini", **{**keys, "ground_file": "gnd2.asc", "remove_src_or_gnd": "rmvsrc", "output_file": "adv/s.out"})
    with pytest.raises(DataError, match="src.asc: no source"):
        run_job("job.ini")
    _ini(strip_job / "job.ini", **{**keys, "ground_file": "gnd2.asc", "remove_src_or_gnd": "rmvgnd"})
    run_job("job.ini")
    assert Raster.read(strip_job / "out/strip_voltmap.asc").array[0, 0] == pytest.approx(6.0)


def test_network_jobs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.txt").write_text("1 2 1\n2 3 1\n1 3 2\n3 4 1\n")
    (tmp_path / "focal.txt").write_text("1\n4\n")
    _ini(tmp_path / "net.ini", data_type="network", scenario="pairwise", habitat_file="net.txt", point_file="focal.txt",
         output_file="n/net.out", write_cur_maps="True", write_volt_maps="True")
    names = sorted(p.name for p in run_job("net.ini"))
    assert names == sorted(["net_resistances.out", "net_resistances_3columns.out", "net_node_currents_1_4.txt",
                            "net_branch_currents_1_4.txt", "net_voltages_1_4.txt", "net_node_currents_cum.txt",
                            "net_branch_currents_cum.txt"])
    # 1-3: 2 ohm || (1 + 1) ohm = 1 ohm; then 3-4: 1 ohm.
    assert np.loadtxt(tmp_path / "n/net_resistances.out")[1, 2] == pytest.approx(2.0)
    volts = dict(np.loadtxt(tmp_path / "n/net_voltages_1_4.txt"))
    assert volts == pytest.approx({1: 2.0, 2: 1.5, 3: 1.0, 4: 0.0})
    br = np.loadtxt(tmp_path / "n/net_branch_currents_1_4.txt")
    assert {(int(a), int(b)): c for a, b, c in br} == pytest.approx({(1, 2): 0.5, (2, 3): 0.5, (1, 3): 0.5, (3, 4): 1.0})
    (tmp_path / "src.txt").write_text("1 1\n")
    (tmp_path / "gnd.txt").write_text("4 0\n")
    _ini(tmp_path / "adv.ini", data_type="network", scenario="advanced", habitat_file="net.txt", source_file="src.txt",
         ground_file="gnd.txt", output_file="n/adv.out", write_cur_maps="True")
    assert sorted(p.name for p in run_job("adv.ini")) == ["adv_branch_currents.txt", "adv_node_currents.txt", "adv_voltages.txt"]
    assert dict(np.loadtxt(tmp_path / "n/adv_voltages.txt"))[1] == pytest.approx(2.0)


# ------------------------------------------------------------------ bad input
def test_bad_input_clear_error_and_no_partial_output(strip_job):
    _ini(strip_job / "job.ini", **_base(habitat_file="missing.asc", output_file="bad/strip.out"))
    with pytest.raises(DataError, match="key 'habitat_file': file 'missing.asc' not found"):
        run_job("job.ini")
    assert not any(p for p in (strip_job / "bad").iterdir())  # not even a hidden temporary folder
    _asc(strip_job / "small.asc", ["1 1 1"])
    _ini(strip_job / "job.ini", **_base(use_mask="True", mask_file="small.asc", output_file="bad/strip.out"))
    with pytest.raises(DataError, match="small.asc: grid does not match hab.asc"):
        run_job("job.ini")
    _asc(strip_job / "neg.asc", ["1 1 0 1 1 1 1 1"])
    _ini(strip_job / "job.ini", **_base(habitat_file="neg.asc", output_file="bad/strip.out"))
    with pytest.raises(DataError, match="neg.asc, cell \\(row 0, col 2\\).*zero or negative"):
        run_job("job.ini")
    (strip_job / "pts_gap.txt").write_text("1 0.5 0.5\n2 5.5 0.5\n")
    _ini(strip_job / "job.ini", **_base(point_file="pts_gap.txt", output_file="bad/strip.out"))
    with pytest.raises(DataError, match=r"focal id 2 \(cell centre 5\.5, 0\.5; row 1, column 6 from the top left\) lies on a no-data"):
        run_job("job.ini")
    assert not any(p for p in (strip_job / "bad").iterdir())


def test_cli_run(strip_job):
    _ini(strip_job / "job.ini", **_base(bogus="1"))
    r = CliRunner().invoke(main, ["circuit", "run", "job.ini"])
    assert r.exit_code == 0, r.output
    assert "strip_resistances.out" in r.output and "unknown key 'bogus'" in r.output
    r = CliRunner().invoke(main, ["circuit", "run", "nothere.ini"])
    assert r.exit_code == 1 and "nothere.ini: INI file not found" in r.output


# ------------------------------------------------------------------ runner and writer apart
def test_compute_job_returns_the_results_and_writes_nothing(strip_job):
    _ini(strip_job / "job.ini", **_base(write_cur_maps="True"))
    seen = []
    res = compute_job("job.ini", on_solve=lambda r, ids, v, cur, br: seen.append(tuple(int(i) for i in ids)))
    assert res.ids.tolist() == [1, 2, 3] and res.habitat.shape == (1, 8)
    assert res.result.resistances[0, 1] == pytest.approx(4.0) and res.result.resistances[0, 2] == -1
    assert res.result.cum_current is not None  # node values; the writer turns them into maps
    assert seen == [(1, 2)]  # one call per solved pair, with its focal ids
    assert not (strip_job / "out").exists()
    assert run_job("job.ini")  # the same job, written


def test_memory_limit_and_the_old_max_memory_spelling(strip_job):
    _ini(strip_job / "job.ini", **_base())
    with pytest.raises(SolverError, match="is allowed"):
        run_job("job.ini", memory_limit=1000)
    with pytest.warns(DeprecationWarning, match="max_memory= is deprecated.*memory_limit="):
        with pytest.raises(SolverError, match="is allowed"):
            run_job("job.ini", max_memory=1000)
    with pytest.warns(DeprecationWarning, match="max_memory="):
        assert run_job("job.ini", max_memory=2**30)


def test_old_import_path_of_run_job_warns_and_works(strip_job):
    with pytest.warns(DeprecationWarning, match="import run_job from corridors.circuit"):
        old = ini.run_job
    assert old is run_job
    with pytest.raises(AttributeError, match="no_such"):
        ini.no_such  # noqa: B018


def test_cli_memory_limit_and_the_old_max_memory_gb(strip_job):
    _ini(strip_job / "job.ini", **_base())
    r = CliRunner().invoke(main, ["circuit", "run", "job.ini", "--memory-limit", "1KB"])
    assert r.exit_code == 1 and "is allowed" in r.output
    r = CliRunner().invoke(main, ["circuit", "run", "job.ini", "--memory-limit", "2GB"])
    assert r.exit_code == 0, r.output
    assert "warning" not in r.output
    r = CliRunner().invoke(main, ["circuit", "run", "job.ini", "--max-memory-gb", "2"])
    assert r.exit_code == 0, r.output
    assert "warning: --max-memory-gb is deprecated" in r.output and "--memory-limit" in r.output
    r = CliRunner().invoke(main, ["circuit", "run", "job.ini", "--max-memory-gb", "0.000001"])
    assert r.exit_code == 1 and "is allowed" in r.output
    r = CliRunner().invoke(main, ["circuit", "run", "job.ini", "--max-memory-gb", "2", "--memory-limit", "2GB"])
    assert r.exit_code == 2 and "--memory-limit" in r.output
    r = CliRunner().invoke(main, ["circuit", "run", "--help"])
    assert "--memory-limit" in r.output and "--max-memory-gb" not in r.output
