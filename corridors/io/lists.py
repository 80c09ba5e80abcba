"""List-valued fields in flat files: the one encoder and decoder of ``'a;b'`` text (CSV, GeoPackage, Shapefile).

GeoJSON holds lists as arrays; CSV, GeoPackage and Shapefile have no list
type, so corridors writes a list as its items joined by ``;`` (the form QGIS
shows and a spreadsheet keeps) and reads such text back with
:func:`decode_list`.

>>> encode_list(["TJK", "UZB"])
'TJK;UZB'
>>> decode_list("TJK; UZB")
['TJK', 'UZB']
"""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

#: The separator of list items in flat files.
SEPARATOR = ";"

#: Values written as lists (numpy arrays are decoded, not encoded: a column holding arrays is rare and explicit).
_LIST_TYPES = (list, tuple, set, frozenset)


def is_missing(value: Any) -> bool:
    """Whether a field value is missing: None, NaN, pandas.NA or blank text."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def decode_list(value: Any) -> list[str]:
    """A list field as a list of stripped strings.

    Parameters
    ----------
    value : str, list, tuple, set, numpy.ndarray, scalar or missing
        ``'a;b'`` text (a JSON array kept as text by some GDAL drivers is read
        too), a sequence (an item may itself be ``;``-joined text when a file
        mixes both forms; a set is read in sorted order), a lone scalar, or a
        missing value (None, NaN, pandas.NA, empty text).

    Returns
    -------
    list of str
        The items, stripped, empty items left out; ``[]`` for a missing value.
        Numbers come back as text (``3`` -> ``'3'``); convert them where needed.
    """
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [part for v in value if not is_missing(v) for part in decode_list(str(v))]
    if is_missing(value):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return [str(v).strip() for v in json.loads(text)]
            except json.JSONDecodeError:
                pass
        return [v.strip() for v in text.split(SEPARATOR) if v.strip()]
    return [str(value)]


def encode_list(values: Any) -> str:
    """A list as ``;``-joined text, the form :func:`decode_list` reads back.

    Parameters
    ----------
    values : list, tuple, set, numpy.ndarray, str, scalar or missing
        The items (anything :func:`decode_list` accepts; text that is already
        ``;``-joined is normalised).

    Returns
    -------
    str
        The items as text joined by ``;``; ``''`` for no item.
    """
    return SEPARATOR.join(decode_list(values))


def encode_list_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table whose list-valued columns are ``;``-joined text (the geometry column is left alone).

    Parameters
    ----------
    df : pandas.DataFrame or geopandas.GeoDataFrame
        A column is encoded when one of its values is a list, tuple or set;
        in such a column other values (text, numbers, missing) are kept as they are.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Of the same type; ``df`` itself is not modified.
    """
    out = df.copy()
    geometry = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    for col in out.columns:
        if col == geometry:
            continue
        if out[col].map(lambda v: isinstance(v, _LIST_TYPES)).any():
            out[col] = out[col].map(lambda v: encode_list(v) if isinstance(v, _LIST_TYPES) else v)
    return out
