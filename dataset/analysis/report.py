"""The report: one HTML page that shows every figure and previews every table, linking the files.

Pure: `render` returns the page as text. Every piece of text from the data (notes, claimants,
actor names) and every caption is HTML-escaped, so a `<script>` in an event's notes shows as
text and never runs. The page has no date, no scripts and no external resources.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd

PREVIEW_ROWS = 12
STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#f2f2f2}figure{margin:1em 0 2em}img{max-width:100%}
figcaption,.note{font-size:13px;color:#444}code{background:#f5f5f5}"""


@dataclass
class Table:
    """A table file, what it shows, and the frame whose first rows the page previews."""

    file: str
    caption: str
    frame: pd.DataFrame


@dataclass
class Figure:
    """A figure file and a caption saying what it shows."""

    file: str
    caption: str


@dataclass
class Section:
    heading: str
    text: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def cell(value: object) -> str:
    """A value as escaped text: dates as YYYY-MM-DD, missing as empty.

    >>> cell("<b>x</b>"), cell(pd.Timestamp("2024-07-27")), cell(float("nan")), cell(0.5)
    ('&lt;b&gt;x&lt;/b&gt;', '2024-07-27', '', '0.5')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return html.escape(str(value), quote=True)


def table_html(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    """The first `rows` rows of `frame` as an escaped HTML table.

    >>> table_html(pd.DataFrame({"notes": ["<script>alert(1)</script>"]}))
    '<table><tr><th>notes</th></tr><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></table>'
    """
    head = "".join(f"<th>{cell(c)}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
                   for row in frame.head(rows).itertuples(index=False, name=None))
    return f"<table><tr>{head}</tr>{body}</table>"


def render(title: str, intro: list[str], sections: list[Section]) -> str:
    """The whole page: title, introduction, then per section its text, figures and tables.

    >>> page = render("Release <1>", [], [Section("S", figures=[Figure("a.png", "A & B")])])
    >>> '<img src="a.png"' in page and "Release &lt;1&gt;" in page and "A &amp; B" in page
    True
    """
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{cell(title)}</title><style>{STYLE}</style></head><body>", f"<h1>{cell(title)}</h1>"]
    out += [f"<p>{cell(p)}</p>" for p in intro]
    out.append("<ul>" + "".join(f'<li><a href="#s{i}">{cell(s.heading)}</a></li>' for i, s in enumerate(sections)) + "</ul>")
    for i, section in enumerate(sections):
        out.append(f'<h2 id="s{i}">{cell(section.heading)}</h2>')
        out += [f"<p>{cell(p)}</p>" for p in section.text]
        for fig in section.figures:
            out.append(f'<figure><img src="{cell(fig.file)}" alt="{cell(fig.caption)}">'
                       f'<figcaption>{cell(fig.caption)} (<a href="{cell(fig.file)}">{cell(fig.file)}</a>)</figcaption></figure>')
        for table in section.tables:
            shown = min(len(table.frame), PREVIEW_ROWS)
            out.append(f'<h3><a href="{cell(table.file)}">{cell(table.file)}</a></h3>'
                       f'<p class="note">{cell(table.caption)} Showing {shown} of {len(table.frame)} row(s); '
                       f'the CSV file has them all.</p>')
            out.append(table_html(table.frame))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
