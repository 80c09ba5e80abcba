"""Circuitscape INI jobs: every key parsed, every output file's name and format, bad input refused with no partial output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from corridors._errors import ConfigError, DataError, SolverError
from corridors.circuit import compute_job, ini, read_included_pairs, read_ini, run_job
from corridors.circuit.inputs import cells_of_xy
from corridors.cli import main
from corridors.raster import Raster

from _helpers import strip_job_keys, write_asc, write_ini

# The strip job (conftest's ``strip_job``): 1 x 8 cells of 1 ohm, a no-data gap at column 5, focal points at 0, 4, 7.
_asc, _ini, _base = write_asc, write_ini, strip_job_keys


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
    # the two options Circuitscape.jl reads and ignores are accepted, with a warning each
    assert len(job.warnings) == 2
    assert "set_focal_node_currents_to_zero': True is ignored" in job.warnings[0] and "compress_grids" in job.warnings[1]


def test_defaults_unknown_key_and_bad_values(tmp_path):
    p = _ini(tmp_path / "a.ini", scenario="pairwise", habitat_file="h.asc", point_file="f.txt", output_file="o.out", colour="red")
    with pytest.warns(UserWarning, match="unknown key 'colour'"):
        job = read_ini(p)
    assert job.habitat_map_is_resistances and not job.connect_four_neighbors_only and not job.connect_using_avg_resistances
    assert job.solver == "cg+amg" and job.remove_src_or_gnd == "keepall" and job.ground_file_is_resistances
    # Circuitscape reads anything but True/true/1 as False, and unknown choices as its defaults: warned here
    keys = dict(habitat_file="h", point_file="f", output_file="o.out")
    with pytest.warns(UserWarning, match="key 'write_cur_maps': 'maybe' is read as False, as Circuitscape does"):
        assert read_ini(_ini(tmp_path / "b.ini", scenario="pairwise", write_cur_maps="maybe", **keys)).write_cur_maps is False
    with pytest.warns(UserWarning, match="key 'scenario': 'sideways' is not one of .* read as 'pairwise'"):
        assert read_ini(_ini(tmp_path / "c.ini", scenario="sideways", **keys)).scenario == "pairwise"
    with pytest.warns(UserWarning, match="key 'remove_src_or_gnd': 'both' .* read as 'keepall'"):
        assert read_ini(_ini(tmp_path / "e.ini", scenario="pairwise", remove_src_or_gnd="both", **keys)).remove_src_or_gnd == "keepall"
    with pytest.warns(UserWarning, match="key 'solver': 'gauss' .* read as 'cg\\+amg'"):
        read_ini(_ini(tmp_path / "e2.ini", solver="gauss", **keys))
    # what Circuitscape's GUI writes when nothing was chosen falls back silently (sgVerify5 has it)
    job = read_ini(_ini(tmp_path / "e3.ini", scenario="not entered", remove_src_or_gnd="not entered", **keys))
    assert (job.scenario, job.remove_src_or_gnd, job.warnings) == ("pairwise", "keepall", [])
    # Circuitscape's own spellings; a network job asked for one-to-all runs advanced, as Circuitscape runs it
    assert read_ini(_ini(tmp_path / "e4.ini", scenario="One_To_All", solver="cholesky", **keys)).scenario == "one-to-all"
    with pytest.warns(UserWarning, match="runs as advanced"):
        net = read_ini(_ini(tmp_path / "e5.ini", data_type="network", scenario="one-to-all", source_file="s", ground_file="g", **keys))
    assert net.scenario == "advanced"
    with pytest.raises(ConfigError, match="advanced mode needs key 'source_file'"):
        read_ini(_ini(tmp_path / "d.ini", scenario="advanced", habitat_file="h", output_file="o.out"))
    # lines without '=' are not settings (Circuitscape skips them too); the missing key is then named
    (tmp_path / "f.ini").write_text("[x]\nscenario pairwise\nthis line has no equals\n")
    with pytest.raises(ConfigError, match="f.ini: key 'habitat_file' is missing"):
        read_ini(tmp_path / "f.ini")
    with pytest.raises(ConfigError, match="use_mask is True but key 'mask_file' is missing"):
        read_ini(_ini(tmp_path / "g.ini", scenario="pairwise", habitat_file="h", point_file="f", output_file="o.out", use_mask="True"))


def test_included_pairs_formats(tmp_path):
    # 'mode include|exclude' then id pairs, one per line (Circuitscape's io.jl)
    (tmp_path / "inc.txt").write_text("mode include\n1 2\n2 3\n")
    inc = read_included_pairs(tmp_path / "inc.txt")
    assert inc.mode == "include" and inc.point_ids.tolist() == [1, 2, 3]
    assert inc.excluded() == {(1, 3), (3, 1), (1, 1), (2, 2), (3, 3)}  # every pair not listed
    (tmp_path / "exc.txt").write_text("mode exclude\n1 2\n")
    assert read_included_pairs(tmp_path / "exc.txt").excluded() == {(1, 2), (2, 1)}
    # 'min'/'max' then a matrix with ids in its first row and column: pairs with a value in [min, max] are included
    (tmp_path / "mm.txt").write_text("min 2\nmax 5\n0 1 2 3\n1 0 1 3\n2 1 0 9\n3 3 9 0\n")
    mm = read_included_pairs(tmp_path / "mm.txt")
    assert mm.mode == "include" and {p for p in mm.excluded() if p[0] != p[1]} == {(1, 2), (2, 1), (2, 3), (3, 2)}
    (tmp_path / "bad.txt").write_text("1 2\n")
    with pytest.raises(DataError, match="starts with neither 'mode' nor 'min'"):
        read_included_pairs(tmp_path / "bad.txt")


def test_points_fall_in_cells_as_circuitscape_places_them():
    hab = Raster(np.ones((3, 4)), __import__("affine").Affine(10, 0, 100, 0, -10, 230))  # x 100-140, y 200-230
    # cell centres; a point on a cell edge goes to the cell on its left and above (io.jl: ceil of the offsets)
    r, c = cells_of_xy(hab, np.array([105, 135, 110, 110]), np.array([225, 205, 220, 200.5]))
    assert r.tolist() == [0, 2, 0, 2] and c.tolist() == [0, 3, 0, 0]


# ------------------------------------------------------------------ pairwise outputs
def test_pairwise_outputs_names_and_formats(strip_job):
    _ini(strip_job / "job.ini", **_base(write_cur_maps="True", write_volt_maps="True", write_max_cur_maps="True"))
    files = run_job("job.ini")
    names = sorted(p.name for p in files)
    assert names == sorted(
        ["strip.out", "strip_resistances.out", "strip_resistances_3columns.out", "strip_cum_curmap.asc", "strip_max_curmap.asc"]
        + [f"strip_{k}map_1_2.asc" for k in ("cur", "volt")]
    )  # no maps for the disconnected pairs 1-3 and 2-3, as in Circuitscape; the settings go to output_file itself
    assert "habitat_file = hab.asc" in (strip_job / "out/strip.out").read_text()
    mat = np.loadtxt(strip_job / "out/strip_resistances.out")
    # First row and column: ids; 0 in the corner; 4 links of 1 ohm between 1 and 2; 3 is cut off: -1.
    assert np.allclose(mat, [[0, 1, 2, 3], [1, 0, 4, -1], [2, 4, 0, -1], [3, -1, -1, 0]], rtol=1e-8)
    three = np.loadtxt(strip_job / "out/strip_resistances_3columns.out")
    assert np.allclose(three, [[1, 2, 4], [1, 3, -1], [2, 3, -1]], rtol=1e-8)
    cur = Raster.read(strip_job / "out/strip_curmap_1_2.asc")
    volt = Raster.read(strip_job / "out/strip_voltmap_1_2.asc")
    assert cur.nodata == -9999 and cur.shape == (1, 8)
    assert cur.array[0].tolist() == pytest.approx([1, 1, 1, 1, 1, 0, 0, 0])
    # Circuitscape's orientation (core.jl): 1 A into the second id, the first held at 0 V.
    assert volt.array[0].tolist() == pytest.approx([0, 1, 2, 3, 4, 0, 0, 0])
    cum = Raster.read(strip_job / "out/strip_cum_curmap.asc").array[0]
    assert cum.tolist() == pytest.approx([1, 1, 1, 1, 1, 0, 0, 0])


def test_output_options_nodata_log_zero_focal_compress_tif(strip_job):
    _ini(strip_job / "job.ini", **_base(write_cur_maps="True", write_volt_maps="True", set_null_currents_to_nodata="True",
                                        set_null_voltages_to_nodata="True", compress_grids="True", write_cum_cur_map_only="True",
                                        set_focal_node_currents_to_zero="True"))
    with pytest.warns(UserWarning) as caught:
        names = sorted(p.name for p in run_job("job.ini"))
    # compress_grids and set_focal_node_currents_to_zero: Circuitscape.jl reads them and does nothing; so here, with a warning
    assert {str(w.message).split("key ")[1].split(":")[0] for w in caught} == {"'compress_grids'", "'set_focal_node_currents_to_zero'"}
    assert "strip_cum_curmap.asc" in names and "strip_voltmap_1_2.asc" in names
    assert not any(n.startswith("strip_curmap_") for n in names)  # cum only
    cum = Raster.read(strip_job / "out/strip_cum_curmap.asc")
    # the no-data gap written as no data; focal cells keep their current
    assert cum.masked().tolist()[0][:5] == pytest.approx([1, 1, 1, 1, 1]) and np.isnan(cum.masked()[0, 5])
    volt = Raster.read(strip_job / "out/strip_voltmap_1_2.asc")
    assert np.isnan(volt.masked()[0, 5])
    _ini(strip_job / "job2.ini", **_base(output_file="tif/strip.out", write_cur_maps="True", log_transform_maps="True", write_as_tif="True"))
    files = run_job("job2.ini")
    assert {p.suffix for p in files} == {".tif", ".out"}
    logmap = Raster.read(strip_job / "tif/strip_curmap_1_2.tif")
    # log10(1 A) = 0 on the path; zero current has no logarithm: no data.
    assert logmap.masked()[0, :5].tolist() == pytest.approx([0, 0, 0, 0, 0]) and np.isnan(logmap.masked()[0, 6])


def test_include_list_polygons_mask_and_raster_focal_regions(strip_job):
    (strip_job / "inc.txt").write_text("mode include\n2 3\n1 3\n")
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
    # A mask dropping column 7 puts focal point 3 on a masked cell: Circuitscape keeps it and reports -1 for its pairs.
    _ini(strip_job / "job.ini", **_base(use_mask="True", mask_file="mask.asc", output_file="masked/strip.out"))
    run_job("job.ini")
    mat = np.loadtxt(strip_job / "masked/strip_resistances.out")
    assert mat[1, 2] == pytest.approx(4.0) and mat[3, 1:3].tolist() == [-1, -1] and mat[3, 3] == 0


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
    assert names == sorted(["strip.out", "strip_resistances.out", "strip_cum_curmap.asc", "strip_max_curmap.asc"]
                           + [f"strip_{k}map_{i}.asc" for k in ("cur", "volt") for i in (1, 2, 3)])
    # one 'id resistance' row per focal node: 2 is 2 ohm || 2 ohm from the grounded 1 and 3
    assert np.allclose(np.loadtxt(strip_job / "out/strip_resistances.out"), [[1, 2], [2, 1], [3, 2]])
    v2 = Raster.read(strip_job / "out/strip_voltmap_2.asc").array[0]
    assert v2[:5].tolist() == pytest.approx([0, 0.5, 1.0, 0.5, 0])  # 1 A into 2 ohm || 2 ohm
    _ini(strip_job / "job.ini", **_base(scenario="all-to-one", point_file="pts2.txt", write_volt_maps="True",
                                        use_variable_source_strengths="True", variable_source_file="strengths.txt"))
    run_job("job.ini")
    v1 = Raster.read(strip_job / "out/strip_voltmap_1.asc").array[0]
    assert v1[:5].tolist() == pytest.approx([0, 4, 8, 11, 14])  # 1 A from cell 2, 3 A from cell 4, ground at 0
    # all-to-one reports 0 for every focal node it solved (Circuitscape returns no resistance in this mode)
    assert np.loadtxt(strip_job / "out/strip_resistances.out")[:, 1].tolist() == [0, 0, 0]


def test_advanced_outputs_and_policies(strip_job):
    _asc(strip_job / "src.asc", ["1 0 0 0 0 0 0 0"])
    _asc(strip_job / "gnd.asc", ["-9999 -9999 -9999 -9999 2 -9999 -9999 -9999"])
    keys = _base(scenario="advanced", source_file="src.asc", ground_file="gnd.asc", write_cur_maps="True", write_volt_maps="True")
    keys.pop("point_file")
    _ini(strip_job / "job.ini", **keys)
    assert sorted(p.name for p in run_job("job.ini")) == ["strip.out", "strip_curmap.asc", "strip_voltmap.asc"]
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
    with pytest.raises(DataError, match="no component holds both a source and a ground"):
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
    assert names == sorted(["net.out", "net_resistances.out", "net_resistances_3columns.out", "net_node_currents_1_4.txt",
                            "net_branch_currents_1_4.txt", "net_voltages_1_4.txt", "net_node_currents_cum.txt",
                            "net_branch_currents_cum.txt"])
    # 1-3: 2 ohm || (1 + 1) ohm = 1 ohm; then 3-4: 1 ohm.
    assert np.loadtxt(tmp_path / "n/net_resistances.out")[1, 2] == pytest.approx(2.0)
    volts = dict(np.loadtxt(tmp_path / "n/net_voltages_1_4.txt"))
    assert volts == pytest.approx({1: 0.0, 2: 0.5, 3: 1.0, 4: 2.0})  # 1 A into 4, 1 held at 0 V
    br = np.loadtxt(tmp_path / "n/net_branch_currents_1_4.txt")
    assert {(int(a), int(b)): c for a, b, c in br} == pytest.approx({(1, 2): 0.5, (2, 3): 0.5, (1, 3): 0.5, (3, 4): 1.0})
    (tmp_path / "src.txt").write_text("1 1\n")
    (tmp_path / "gnd.txt").write_text("4 0\n")
    _ini(tmp_path / "adv.ini", data_type="network", scenario="advanced", habitat_file="net.txt", source_file="src.txt",
         ground_file="gnd.txt", output_file="n/adv.out", write_cur_maps="True", write_volt_maps="True")
    assert sorted(p.name for p in run_job("adv.ini")) == ["adv.out", "adv_branch_currents.txt", "adv_node_currents.txt",
                                                          "adv_voltages.txt"]
    assert dict(np.loadtxt(tmp_path / "n/adv_voltages.txt"))[1] == pytest.approx(2.0)


# ------------------------------------------------------------------ bad input
def test_bad_input_clear_error_and_no_partial_output(strip_job):
    _ini(strip_job / "job.ini", **_base(habitat_file="missing.asc", output_file="bad/strip.out"))
    with pytest.raises(DataError, match="key 'habitat_file': file 'missing.asc' not found"):
        run_job("job.ini")
    assert not any(p for p in (strip_job / "bad").iterdir())  # not even a hidden temporary folder
    _asc(strip_job / "small.asc", ["1 1 1"])
    _ini(strip_job / "job.ini", **_base(use_mask="True", mask_file="small.asc", output_file="bad/strip.out"))
    with pytest.raises(DataError, match="mask_file: small.asc is 1 x 3 cells of 1, the habitat grid 1 x 8 cells"):
        run_job("job.ini")
    _asc(strip_job / "neg.asc", ["1 1 0 1 1 1 1 1"])
    _ini(strip_job / "job.ini", **_base(habitat_file="neg.asc", output_file="bad/strip.out"))
    with pytest.raises(DataError, match="neg.asc: 1 cell\\(s\\) hold resistance 0 \\(first at row 1, column 3\\).*polygon_file"):
        run_job("job.ini")
    (strip_job / "pts_out.txt").write_text("1 0.5 0.5\n2 9.5 0.5\n")
    _ini(strip_job / "job.ini", **_base(point_file="pts_out.txt", output_file="bad/strip.out"))
    with pytest.raises(DataError, match=r"focal id 2 at \(9\.5, 0\.5\) lies outside the habitat grid"):
        run_job("job.ini")
    assert not any(p for p in (strip_job / "bad").iterdir())
    # a focal point on a no-data cell is no error: Circuitscape keeps it and gives its pairs -1
    (strip_job / "pts_gap.txt").write_text("1 0.5 0.5\n2 5.5 0.5\n3 7.5 0.5\n")
    _ini(strip_job / "job.ini", **_base(point_file="pts_gap.txt", output_file="gap/strip.out"))
    run_job("job.ini")
    assert np.loadtxt(strip_job / "gap/strip_resistances_3columns.out")[:, 2].tolist() == [-1, -1, -1]


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

    class Grab:
        def __init__(self):
            self.grids = {}

        def grid(self, suffix, values, template):
            self.grids[suffix] = values

        def table(self, suffix, rows):
            pass

    sink, steps = Grab(), []
    res = compute_job("job.ini", sink=sink, progress=lambda done, total: steps.append((done, total)))
    assert res.ids.tolist() == [1, 2, 3] and res.template.shape == (1, 8)
    assert res.resistances[0, 1] == pytest.approx(4.0) and res.resistances[0, 2] == -1
    assert res.cum_current[0].tolist() == pytest.approx([1, 1, 1, 1, 1, 0, 0, 0])
    assert sorted(sink.grids) == ["cum_curmap", "curmap_1_2"]  # the maps go to the sink as they are made
    assert steps == [(1, 1)]  # one solve: focal points 1 and 2 share a component, 3 is alone
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


def test_cholmod_too_big_for_the_memory_falls_back_to_cg_amg(strip_job, monkeypatch):
    import corridors.circuit.solve as solve

    _ini(strip_job / "job.ini", **_base(solver="cholmod"))
    real = solve.estimate_memory
    # a factor that would need 1 TB, a CG run that fits in 1 MB
    monkeypatch.setattr(solve, "estimate_memory", lambda n, nb=8, s="amg", k=0: 10**12 if s == "cholmod" else real(n, nb, s, k))
    with pytest.warns(UserWarning, match="key 'solver': .*needs about 931 GiB.*Solving with cg\\+amg instead"):
        run_job("job.ini", memory_limit=2**20)
    assert np.loadtxt(strip_job / "out/strip_resistances.out")[1, 2] == pytest.approx(4.0)
    with pytest.raises(SolverError, match="is allowed"):
        run_job("job.ini", memory_limit=1000)
