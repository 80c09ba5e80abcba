"""Scenario reports: one list of blocks rendered as Markdown and as a standalone HTML file with the maps embedded."""

from __future__ import annotations

import base64
import html
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from corridors.io import atomic_path

# The report is built once as a list of blocks and rendered twice, so the
# Markdown and the HTML always say the same thing. No Markdown library is a
# dependency of corridors, and the two renderers below are a few lines each.


@dataclass
class Block:
    """One piece of a report.

    Parameters
    ----------
    kind : {'h1', 'h2', 'h3', 'p', 'list', 'table', 'image', 'link'}
    text : str
        Heading or paragraph text; image caption; the text of a link.
    items : list of str
        List items.
    table : pandas.DataFrame, optional
        Table (its index is written when named).
    path : pathlib.Path, optional
        Image file (PNG), relative links in Markdown, embedded in HTML; a link's target, relative to the report.
    """

    kind: str
    text: str = ""
    items: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    path: Path | None = None


def _plain(v: object) -> object:
    if hasattr(v, "item") and not isinstance(v, (list, tuple)):
        v = v.item()  # numpy scalar -> Python
    return v


def _float_format(values: list[float], name: str) -> str:
    """One format for a whole column of floats, so its numbers line up and read alike.

    Picked from the column's largest magnitude: whole numbers with thousands
    separators from 100 up (hectares, metres, cost-weighted metres), two
    decimals from 1, three below 1 (shares, scores), and scientific notation
    with three digits when a column holds only values under 0.001 (PC).
    Percent changes (``*_pct``) carry their sign and two decimals.
    """
    finite = [abs(v) for v in values if math.isfinite(v)]
    top = max(finite, default=0.0)
    if name.endswith("_pct"):
        return "+,.0f" if top >= 100 else "+.2f"
    if top >= 100:
        return ",.0f"
    if top >= 1:
        return ".2f"
    if top == 0:
        return ".0f"
    if top >= 1e-3:
        return ".3f"
    return ".2e"


def _fmt(v: object, spec: str | None = None) -> str:
    v = _plain(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return format(v, spec or ".3g")
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return str(v)


def _table_rows(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    show_index = df.index.name is not None
    cols = ([str(df.index.name)] if show_index else []) + [str(c) for c in df.columns]
    specs = []
    for c in df.columns:
        vals = [_plain(v) for v in df[c]]
        floats = [v for v in vals if isinstance(v, float) and not isinstance(v, bool)]
        specs.append(_float_format(floats, str(c)) if floats else None)
    rows = []
    for tup in df.itertuples(index=True, name=None):  # itertuples keeps each column's own type
        idx, vals = tup[0], [_fmt(v, spec) for v, spec in zip(tup[1:], specs)]
        rows.append(([str(idx)] if show_index else []) + vals)
    return cols, rows


def to_markdown(blocks: list[Block], base: Path | None = None) -> str:
    """Render blocks as GitHub-flavoured Markdown; images link to files relative to ``base``."""
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + b.text)
        elif b.kind == "p":
            out.append(b.text)
        elif b.kind == "list":
            out.append("\n".join(f"- {i}" for i in b.items) if b.items else "- (none)")
        elif b.kind == "table" and b.table is not None:
            if b.text:
                out.append(f"*{b.text}*")
            if b.table.empty:
                out.append("(no rows)")
                continue
            cols, rows = _table_rows(b.table)
            esc = [[c.replace("|", "\\|") for c in r] for r in [cols] + rows]
            lines = ["| " + " | ".join(esc[0]) + " |", "|" + "|".join("---" for _ in cols) + "|"]
            lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
            out.append("\n".join(lines))
        elif b.kind == "image" and b.path is not None:
            rel = os.path.relpath(b.path, base) if base else str(b.path)
            out.append(f"![{b.text}]({Path(rel).as_posix()})")
            if b.text:
                out.append(f"*{b.text}*")
        elif b.kind == "link" and b.path is not None:
            out.append(f"[{b.text}]({Path(b.path).as_posix()})")
    return "\n\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #bbb;margin-top:1.8em}
.table-wrap{max-width:100%;overflow-x:auto;margin:0.6em 0 1.2em}
table{border-collapse:collapse;font-size:0.8em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}th{background:#f1f1f1}
td{overflow-wrap:break-word}td.text,th.text{text-align:left}
td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:0.85em;color:#555}
.caption{font-style:italic;font-size:0.9em;color:#444}
"""


def _breakable(name: str) -> str:
    """A column name escaped for HTML, with a line-break opportunity after each '_' (``effective_<wbr>resistance``)."""
    return html.escape(name).replace("_", "_<wbr>")


def to_html(blocks: list[Block], title: str) -> str:
    """Render blocks as one standalone HTML page: CSS inline, PNG images embedded as data URIs."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
    ]
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{html.escape(b.text)}</p>")
        elif b.kind == "list":
            items = b.items or ["(none)"]
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
        elif b.kind == "table" and b.table is not None:
            if b.text:
                out.append(f'<p class="caption">{html.escape(b.text)}</p>')
            if b.table.empty:
                out.append("<p>(no rows)</p>")
                continue
            cols, rows = _table_rows(b.table)
            text = [b.table.index.name is not None] * (b.table.index.name is not None)
            text += [not pd.api.types.is_numeric_dtype(b.table[c]) for c in b.table.columns]
            cls = [' class="text"' if t else "" for t in text]
            head = "".join(f"<th{k}>{_breakable(c)}</th>" for c, k in zip(cols, cls))
            body = "".join("<tr>" + "".join(f"<td{k}>{html.escape(c)}</td>" for c, k in zip(r, cls)) + "</tr>"
                           for r in rows)
            # a wide table wraps its headers at '_' and scrolls inside its box instead of running off the page
            out.append(f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
        elif b.kind == "image" and b.path is not None:
            data = base64.b64encode(Path(b.path).read_bytes()).decode("ascii")
            out.append(
                f'<figure><img alt="{html.escape(b.text)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(b.text)}</figcaption></figure>"
            )
        elif b.kind == "link" and b.path is not None:
            out.append(f'<p class="link"><a href="{html.escape(Path(b.path).as_posix())}">{html.escape(b.text)}</a></p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(blocks: list[Block], folder: str | os.PathLike, stem: str = "report", title: str = "") -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.html`` into ``folder``, atomically.

    Parameters
    ----------
    blocks : list of Block
    folder : path-like
        Where the report goes; image paths in Markdown are made relative to it.
    stem : str, default 'report'
    title : str, optional
        HTML page title (default: the first heading).

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The Markdown and HTML files.
    """
    folder = Path(folder)
    if not title:
        title = next((b.text for b in blocks if b.kind == "h1"), stem)
    md_path, html_path = folder / f"{stem}.md", folder / f"{stem}.html"
    with atomic_path(md_path) as tmp:
        tmp.write_text(to_markdown(blocks, folder), encoding="utf-8")
    with atomic_path(html_path) as tmp:
        tmp.write_text(to_html(blocks, title), encoding="utf-8")
    return md_path, html_path
