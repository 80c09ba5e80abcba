"""Users' text files in the encodings their editors write: one decoder, used by every reader, one-line errors."""

from __future__ import annotations

import codecs
import json

import numpy as np
import pytest
import yaml

from corridors import landscape as L
from corridors import programme as P
from corridors import settings
from corridors._errors import ConfigError, DataError
from corridors.circuit import read_included_pairs, read_ini
from corridors.io import decode_text, read_text, sniff_text
from corridors.network import read_conefor
from corridors.scenario import load_scenario
from corridors.sites import load_sites

TEXT = "name: Réserve\nlabel: Тигровая балка\n"


@pytest.mark.parametrize("encoded", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    TEXT.encode("utf-16"),  # with its BOM, as Windows Notepad writes "Unicode"
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    TEXT.encode("utf-32"),
    TEXT.replace("\n", "\r\n").encode("utf-8"),  # Windows line ends
], ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf32-bom", "crlf"])
def test_the_encodings_editors_write_all_read_the_same(encoded):
    assert decode_text(encoded, "f.txt") == TEXT


def test_latin1_and_cp1251_are_refused_naming_the_file_the_line_and_the_fix():
    data = "name: x\ntitle: Réserve\n".encode("latin-1")
    with pytest.raises(DataError, match=r"^f\.yml, line 2: not UTF-8 text \(byte 0xe9.*save it as UTF-8"):
        decode_text(data, "f.yml")
    with pytest.raises(ConfigError, match=r"line 3: not UTF-8"):
        decode_text("a\nb\nТигровая\n".encode("cp1251"), "g.yml", ConfigError)


def test_utf16_without_a_bom_is_named_as_such():
    with pytest.raises(DataError, match="UTF-16 without a byte-order mark"):
        decode_text("1 10\n2 20\n".encode("utf-16-le"), "nodes.txt")


def test_read_text_gzip_and_unreadable(tmp_path):
    import gzip

    gz = tmp_path / "points.txt.gz"
    gz.write_bytes(gzip.compress("1 2 3\n".encode("utf-16")))
    assert read_text(gz) == "1 2 3\n"
    with pytest.raises(DataError, match=r"folder.*cannot be read"):
        (tmp_path / "folder").mkdir()
        read_text(tmp_path / "folder")


def test_sniff_text_honours_the_bom():
    assert sniff_text("mode include\n1 2\n".encode("utf-16")[:10]) == "mode"
    assert sniff_text(b"ncols 3") == "ncols 3"


# ------------------------------------------------------------------ every reader of a user's text file
def test_scenario_yaml_utf16_reads_and_latin1_is_one_line(tmp_path):
    p = tmp_path / "s.yml"
    p.write_bytes("# Réserve\nname: u16\ntitle: Tigrovaya Balka réserve\n".encode("utf-16"))
    assert load_scenario(p).title == "Tigrovaya Balka réserve"
    p.write_bytes("# Réserve\nname: l1\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"s\.yml, line 1: not UTF-8 text"):
        load_scenario(p)


def test_conefor_node_file_from_notepad(tmp_path):
    (tmp_path / "n.txt").write_bytes("1\t10\r\n2\t20\r\n".encode("utf-16"))
    (tmp_path / "c.txt").write_bytes(codecs.BOM_UTF8 + b"1 2 1000\n")
    g = read_conefor(tmp_path / "n.txt", tmp_path / "c.txt", median_dispersal_m=1000.0)
    assert g.ids == ["1", "2"] and list(g.links["probability"]) == pytest.approx([0.5])


def test_resistance_table_yaml_and_reclass_csv(tmp_path):
    raw = yaml.safe_load(settings.RESISTANCE_TABLE_PATH.read_text(encoding="utf-8"))
    p = tmp_path / "r.yml"
    p.write_bytes(("# Résistance\n" + yaml.safe_dump(raw, allow_unicode=True)).encode("utf-16"))
    assert L.load_table(p).classes == L.load_table().classes
    p.write_bytes(("# Résistance\n" + yaml.safe_dump(raw)).encode("cp1252"))
    with pytest.raises(ConfigError, match=r"r\.yml, line 1: not UTF-8"):
        L.load_table(p)
    from corridors.landscape.user_rasters import _read_reclass

    csv = tmp_path / "reclass.csv"
    csv.write_bytes("classe,résistance\r\n1,5\r\n2,50\r\n".encode("utf-16"))
    assert _read_reclass(csv)[0] == {1.0: 5.0, 2.0: 50.0}


def test_measures_csv_in_latin1_names_the_file(tmp_path):
    p = tmp_path / "m.csv"
    p.write_bytes("id,text\n1.1,Réserve\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"m\.csv, line 2: not UTF-8"):
        P.load_measures(p)


def test_circuitscape_ini_and_pairs_file(tmp_path):
    (tmp_path / "inc.txt").write_bytes("mode include\r\n1 2\r\n2 3\r\n".encode("utf-16"))
    inc = read_included_pairs(tmp_path / "inc.txt")
    assert inc.mode == "include" and np.asarray(inc.point_ids).tolist() == [1, 2, 3]
    ini = tmp_path / "job.ini"
    ini.write_bytes("[Habitat raster or graph]\nhabitat_file = C:\\Données\\h.asc\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"job\.ini, line 2: not UTF-8"):
        read_ini(ini)


def test_sites_geojson_utf16_and_latin1(tmp_path):
    d = json.loads(settings.SITES_PATH.read_text(encoding="utf-8"))
    d["features"] = [f for f in d["features"] if f["geometry"]][:2]
    d["features"][0]["properties"]["name"] = "Réserve"
    text = json.dumps(d, ensure_ascii=False)
    p = tmp_path / "s.geojson"
    p.write_bytes(text.encode("utf-16"))
    assert load_sites(p)["name"].iloc[0] == "Réserve"
    p.write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError, match=r"s\.geojson, line 1: not UTF-8"):
        load_sites(p)


def test_omniscape_config_and_reclass_table(tmp_path):
    from corridors.omniscape import read_config
    from corridors.omniscape.run import read_table

    table = tmp_path / "reclass.txt"
    table.write_bytes("1 5\r\n2 missing\r\n".encode("utf-16"))
    np.testing.assert_array_equal(read_table(table), [[1.0, 5.0], [2.0, np.nan]])
    ini = tmp_path / "c.ini"
    ini.write_bytes("[Required]\nresistance_file = C:\\Données\\r.asc\n".encode("cp1252"))
    with pytest.raises(ConfigError, match=r"c\.ini, line 2: not UTF-8"):
        read_config(ini)
