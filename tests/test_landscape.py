"""Resistance and suitability surfaces: the expert table, the bundled-data builder and the user's rasters."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from pyproj import CRS
from scipy import ndimage

from corridors import landscape as L
from corridors import settings
from corridors._errors import ConfigError, DataError
from corridors.landscape.classes import _seal_diagonals
from corridors.raster import Raster

# A small window over the Amu Darya, the Zarafshon and the TKM-UZB / AFG-UZB / TJK-UZB borders, at 4 km.
BBOX_DEG = (62.0, 36.0, 70.0, 41.0)
RES = 4000.0


@pytest.fixture(scope="module")
def window():
    from pyproj import Transformer

    tr = Transformer.from_crs(settings.GEOGRAPHIC_CRS, settings.WORKING_CRS, always_xy=True)
    return tr.transform_bounds(*BBOX_DEG)


@pytest.fixture(scope="module")
def classes(window):
    return L.build_classes(window, RES)


@pytest.fixture(scope="module")
def table():
    return L.load_table()


# ----------------------------------------------------------------------------- the table
def test_bundled_table_is_complete_and_reasoned(table):
    assert set(table.classes) == set(L.CLASSES)
    assert table.classes["riparian"].resistance == 1  # the reference value
    assert all(len(c.why) > 40 for c in table.classes.values())  # every value says why
    # the ordering the expert model states: riparian < floodplain < open lowland < desert < mountain
    r = {k: v.resistance for k, v in table.classes.items()}
    assert r["riparian"] < r["floodplain"] < r["open_lowland"] < r["desert"] < r["mountain"]
    s = {k: v.suitability for k, v in table.classes.items()}
    assert s["riparian"] == 1.0 and s["lake"] == 0.0 and s["settlement"] == 0.0
    assert table.borders["TKM-UZB"] > table.borders["AFG-TJK"]  # fenced borders cost more


def _raw_table():
    return yaml.safe_load(settings.RESISTANCE_TABLE_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda t: t["classes"].pop("desert"), "class 'desert' is missing"),
        (lambda t: t["classes"]["desert"].update(resistance=0), r"classes\.desert\.resistance"),
        (lambda t: t["classes"]["riparian"].update(suitability=1.5), r"classes\.riparian\.suitability"),
        (lambda t: t["regions"].update(Desert="sand"), r"regions\.Desert.*unknown class 'sand'"),
        (lambda t: t["borders"].update({"UZB-TKM": 10}), "alphabetical order: 'TKM-UZB'"),
        (lambda t: t["borders"].pop("default"), r"borders\.default"),
    ],
)
def test_bad_tables_are_config_errors(edit, match, tmp_path):
    raw = _raw_table()
    edit(raw)
    p = tmp_path / "bad.yml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as info:
        L.load_table(p)
    assert str(p) in str(info.value)


def test_overrides_nested_and_flat(table):
    t = L.apply_overrides(table, {"classes": {"desert": 90}, "borders": {"TKM-UZB": 5}})
    assert t.classes["desert"].resistance == 90 and t.borders["TKM-UZB"] == 5
    assert table.classes["desert"].resistance == 150  # the original is untouched
    t2 = L.apply_overrides(table, {"desert": 90, "TKM-UZB": 5, "floodplain": {"suitability": 0.7}})
    assert t2.classes["desert"].resistance == 90 and t2.borders["TKM-UZB"] == 5
    assert t2.classes["floodplain"].suitability == 0.7
    with pytest.raises(ConfigError, match="'dessert'"):
        L.apply_overrides(table, {"dessert": 90})
    with pytest.raises(ConfigError, match="> 0"):
        L.apply_overrides(table, {"TKM-UZB": 0})


# ----------------------------------------------------------------------------- the bundled surface
def test_classes_follow_the_zone_widths(classes, table):
    from corridors.raster import rasterize
    from corridors.rivers import load_rivers

    codes = classes.array
    rivers = rasterize(list(load_rivers().geometry), 1, classes, all_touched=True).astype(bool)
    dist = ndimage.distance_transform_edt(~rivers) * RES
    rip = codes == L.CLASS_CODES["riparian"]
    assert rip.sum() > 100
    assert dist[rip].max() <= table.zones.riparian_m
    fp = codes == L.CLASS_CODES["floodplain"]
    assert dist[fp].min() > table.zones.riparian_m and dist[fp].max() <= table.zones.floodplain_m
    # a land cell beyond the floodplain is never riparian or floodplain
    assert not (rip | fp)[dist > table.zones.floodplain_m].any()
    assert (codes == L.CLASS_CODES["desert"]).any() and (codes == L.CLASS_CODES["mountain"]).any()


def test_resistance_is_the_table_value_of_each_class_except_on_borders(classes, table):
    r = L.build_resistance(table=table, classes=classes)
    bmask, _ = L.build_border_ids(classes, table)
    off = (bmask == 0) & (classes.array > 0)
    for name, code in L.CLASS_CODES.items():
        sel = off & (classes.array == code)
        if sel.any():
            assert np.all(r.array[sel] == table.classes[name].resistance), name
    assert np.isnan(r.array[classes.array == 0]).all()
    assert r.crs == settings.WORKING_CRS and r.res == (RES, RES)


def test_border_override_changes_only_that_border(classes, table):
    base = L.build_resistance(table=table, classes=classes)
    opened = L.build_resistance(table=table, classes=classes, overrides={"TKM-UZB": 1})
    bmask, ids = L.build_border_ids(classes, table)
    changed = base.array != opened.array
    tkm_uzb = bmask == ids.index("TKM-UZB") + 1
    assert changed.any()
    assert not (changed & ~tkm_uzb).any()
    # a crossing costs value x border_width_m on top of the land at any cell size: each cell of the one-cell
    # strip adds value x width / cell to its land class (riparian 1 + 100 x 1000 / 4000 = 26 at least)
    scaled = table.borders["TKM-UZB"] * table.zones.border_width_m / RES
    on = tkm_uzb & (classes.array > 0)
    assert base.array[on].min() == pytest.approx(table.classes["riparian"].resistance + scaled)
    # opened to 1: every border cell holds its land class plus 1 x width / cell, so the fence's part is gone
    assert base.array[on] - opened.array[on] == pytest.approx(np.full(on.sum(), scaled - 1 * table.zones.border_width_m / RES))
    assert opened.array[on].max() <= table.classes["lake"].resistance + 1


def test_border_strip_blocks_diagonal_slips(classes, table):
    bmask, _ = L.build_border_ids(classes, table)
    m = bmask > 0
    # 4-connected: no two border cells touch only by a corner without a shared neighbour on the line
    corner = m[:-1, :-1] & m[1:, 1:] & ~m[:-1, 1:] & ~m[1:, :-1]
    anti = m[:-1, 1:] & m[1:, :-1] & ~m[:-1, :-1] & ~m[1:, 1:]
    assert not corner.any() and not anti.any()


def test_suitability_in_unit_range(classes, table):
    s = L.build_suitability(table=table, classes=classes)
    v = s.array[~np.isnan(s.array)]
    assert v.min() >= 0 and v.max() <= 1
    assert np.all(s.array[classes.array == L.CLASS_CODES["riparian"]] == 1.0)


def test_write_surfaces(tmp_path, window):
    paths = L.write_surfaces(tmp_path / "out", bounds=window, resolution_m=8000.0, overrides={"desert": 111})
    r = Raster.read(paths["resistance"])
    assert r.crs == settings.WORKING_CRS and (r.masked() == 111).any()
    assert paths["legend"].read_text().splitlines()[0] == "code,class,resistance,suitability"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["classes.csv", "classes.tif", "resistance.tif",
                                                                   "suitability.tif"]


def test_write_surfaces_leaves_the_folder_as_it_was_on_failure(tmp_path, window, monkeypatch):
    out = tmp_path / "out"
    L.write_surfaces(out, bounds=window, resolution_m=8000.0)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Raster, "write", boom)
    with pytest.raises(RuntimeError):
        L.write_surfaces(out, bounds=window, resolution_m=8000.0, overrides={"desert": 111})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_old_names_stay_importable_from_landscape():
    from corridors import raster, rivers

    assert L.make_grid is raster.make_grid and L.template is raster.make_grid
    assert L.warp_to is raster.warp_to and L.programme_bounds is raster.programme_bounds
    assert L.bounds_around is raster.bounds_around and L.load_river_lines is rivers.load_rivers


# ----------------------------------------------------------------------------- user rasters
def _write(path, array, transform, crs, nodata=None):
    profile = dict(driver="GTiff", height=array.shape[0], width=array.shape[1], count=1, dtype=array.dtype,
                   transform=transform, crs=crs, nodata=nodata)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    return path


@pytest.fixture
def target():
    return L.make_grid((0.0, 0.0, 10_000.0, 10_000.0), 1000.0)


@pytest.fixture
def landcover(tmp_path, target):
    # 20 x 20 cells of 500 m on the working CRS: classes 1 (west half), 2 (east half), 0 = no data corner
    a = np.ones((20, 20), dtype="uint8")
    a[:, 10:] = 2
    a[:4, :4] = 0
    return _write(tmp_path / "lc.tif", a, Affine(500, 0, 0, 0, -500, 10_000), settings.WORKING_CRS.to_wkt(), nodata=0)


def test_landcover_reclass(landcover, target, tmp_path):
    r = L.resistance_from_landcover(landcover, {1: 5.0, 2: 50.0}, target)
    assert r.shape == (10, 10)
    assert np.all(r.array[2:, :5] == 5.0) and np.all(r.array[:, 5:] == 50.0)
    assert np.isnan(r.array[:2, :2]).all()  # land-cover no data is impassable
    csv = tmp_path / "reclass.csv"
    csv.write_text("class,resistance\n1,5\n2,inf\n", encoding="utf-8")
    r2 = L.resistance_from_landcover(landcover, csv, target)
    assert np.isnan(r2.array[:, 5:]).all()  # inf = impassable


def test_landcover_missing_class_is_a_config_error(landcover, target, tmp_path):
    with pytest.raises(ConfigError, match=r"missing: 2"):
        L.resistance_from_landcover(landcover, {1: 5.0}, target)
    csv = tmp_path / "reclass.csv"
    csv.write_text("1,5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="reclass.csv"):
        L.resistance_from_landcover(landcover, csv, target)
    with pytest.raises(ConfigError, match="> 0"):
        L.resistance_from_landcover(landcover, {1: 5.0, 2: 0.0}, target)


def test_resistance_raster_reprojected_from_geographic(tmp_path):
    # a constant raster in WGS84 over Bukhara keeps its value after warping to the Albers grid
    a = np.full((40, 40), 7.0, dtype="float32")
    p = _write(tmp_path / "r.tif", a, Affine(0.05, 0, 63.0, 0, -0.05, 41.0), "EPSG:4326")
    from pyproj import Transformer

    tr = Transformer.from_crs(settings.GEOGRAPHIC_CRS, settings.WORKING_CRS, always_xy=True)
    grid = L.make_grid(tr.transform_bounds(63.5, 39.5, 64.5, 40.5), 2000.0)
    r = L.resistance_from_raster(p, grid)
    assert np.nanmin(r.array) == pytest.approx(7.0) and np.nanmax(r.array) == pytest.approx(7.0)
    assert np.isfinite(r.array).all()


@pytest.mark.parametrize("bad", [0.0, -3.0])
def test_zero_or_negative_resistance_raster_is_refused(tmp_path, target, bad):
    a = np.full((10, 10), 2.0, dtype="float32")
    a[3, 3] = bad
    p = _write(tmp_path / "r.tif", a, Affine(1000, 0, 0, 0, -1000, 10_000), settings.WORKING_CRS.to_wkt())
    with pytest.raises(DataError, match=r"r\.tif.*zero or negative"):
        L.resistance_from_raster(p, target)


def test_all_nodata_and_no_overlap_and_no_crs(tmp_path, target):
    a = np.full((10, 10), -1.0, dtype="float32")
    p = _write(tmp_path / "empty.tif", a, Affine(1000, 0, 0, 0, -1000, 10_000), settings.WORKING_CRS.to_wkt(), nodata=-1.0)
    with pytest.raises(DataError, match="every cell is no data"):
        L.resistance_from_raster(p, target)
    far = _write(tmp_path / "far.tif", np.ones((5, 5), dtype="float32"), Affine(1000, 0, 9e5, 0, -1000, 9e5), settings.WORKING_CRS.to_wkt())
    with pytest.raises(DataError, match="does not overlap"):
        L.resistance_from_raster(far, target)
    nocrs = _write(tmp_path / "nocrs.tif", np.ones((5, 5), dtype="float32"), Affine(1000, 0, 0, 0, -1000, 5000), None)
    with pytest.raises(DataError, match="no CRS"):
        L.resistance_from_raster(nocrs, target)


def test_seal_diagonals_closes_corner_gaps():
    a = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 2]], dtype="uint8")
    s = _seal_diagonals(a)
    m = s > 0
    assert not (m[:-1, :-1] & m[1:, 1:] & ~m[:-1, 1:] & ~m[1:, :-1]).any()
    assert m.sum() == 5  # two cells added, one per corner contact
    assert s[0, 1] == 1 and s[1, 2] == 1  # filled with the value of the line it seals
    b = np.array([[0, 3], [3, 0]], dtype="uint8")
    assert (_seal_diagonals(b) > 0).sum() == 3


def test_suitability_from_landcover(landcover, target):
    s = L.suitability_from_landcover(landcover, {1: 0.0, 2: 0.8}, target)
    assert np.all(s.array[2:, :5] == 0.0) and np.all(s.array[:, 5:] == pytest.approx(0.8))
    with pytest.raises(ConfigError, match="within 0-1"):
        L.suitability_from_landcover(landcover, {1: 0.5, 2: 2.0}, target)


def test_resolution_m_and_the_old_resolution_keyword():
    # issue 11: units in names; the first release's resolution= works for one release with a warning
    window = (0.0, 0.0, 40_000.0, 40_000.0)
    new = L.build_resistance(bounds=window, resolution_m=20_000.0)
    with pytest.warns(DeprecationWarning, match=r"resolution= is deprecated.*write resolution_m= \(metres\)"):
        old = L.build_resistance(bounds=window, resolution=20_000.0)
    assert old.shape == new.shape == (2, 2) and np.array_equal(old.array, new.array, equal_nan=True)
    with pytest.raises(ConfigError, match="resolution_m=20000.0 and resolution=10000.0 disagree"):
        L.build_resistance(bounds=window, resolution_m=20_000.0, resolution=10_000.0)


@pytest.mark.parametrize("build", [
    lambda **kw: L.make_grid((0.0, 0.0, 40_000.0, 40_000.0), **kw),
    lambda **kw: L.build_classes((0.0, 0.0, 40_000.0, 40_000.0), **kw),
    lambda **kw: L.build_suitability((0.0, 0.0, 40_000.0, 40_000.0), **kw),
], ids=["make_grid", "build_classes", "build_suitability"])
def test_every_builder_takes_the_old_resolution_keyword(build):
    # the warning points at the caller (this file), not at corridors
    with pytest.warns(DeprecationWarning, match="write resolution_m=") as rec:
        old = build(resolution=20_000.0)
    assert all(w.filename == __file__ for w in rec if issubclass(w.category, DeprecationWarning))
    assert old.shape == build(resolution_m=20_000.0).shape == (2, 2)


def test_write_surfaces_takes_the_old_resolution_keyword(tmp_path):
    with pytest.warns(DeprecationWarning, match="write resolution_m="):
        paths = L.write_surfaces(tmp_path, bounds=(0.0, 0.0, 40_000.0, 40_000.0), resolution=20_000.0)
    with rasterio.open(paths["resistance"]) as src:
        assert src.shape == (2, 2)
