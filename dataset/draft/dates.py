"""Candidate event dates: what a report says about when, resolved against its publication date.

dateparser gets French relative days ("samedi dernier", "hier soir") and same-weekday cases
wrong, so the rules are the project's own (dates.yaml): a bare weekday is the latest such day on
or before publication ("on Saturday" in a Saturday report is that Saturday), "last Saturday" /
"samedi dernier" is strictly before it, "last week" the previous Monday..Sunday (precision 2),
a month named alone the whole month (precision 3). Absolute dates without a year take the
latest year that does not put them after publication.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from text_to_num import text2num

from .text import fold

RULES_FILE = Path(__file__).with_name("dates.yaml")


@dataclass(frozen=True)
class Candidate:
    text: str  # as written
    start: dt.date
    end: dt.date
    precision: int  # ACLED time precision
    offset: int  # character offset in the text


@cache
def rules() -> dict:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


def find(text: str, published: dt.date) -> list[Candidate]:
    """Every date expression found, in text order, overlapping ones dropped (longest wins)."""
    r = rules()
    low = fold(text)
    found: list[Candidate] = []
    found += _spans(text, low, published, r)
    found += _fixed(text, low, published, r)
    found += _weekdays(text, low, published, r)
    found += _absolute(text, low, published, r)
    found += _ago(text, low, published)
    found.sort(key=lambda c: (c.offset, -len(c.text)))
    out: list[Candidate] = []
    for c in found:
        if out and c.offset < out[-1].offset + len(out[-1].text):
            continue
        if c.end <= published:
            out.append(c)
    return out


def _cand(text: str, m: re.Match, start: dt.date, end: dt.date, precision: int) -> Candidate:
    return Candidate(text[m.start():m.end()].strip(), start, end, precision, m.start())


def _words(options) -> str:
    return "|".join(re.escape(fold(o)) for o in sorted(options, key=len, reverse=True))


def _spans(text: str, low: str, pub: dt.date, r: dict) -> list[Candidate]:
    out = []
    for m in re.finditer(rf"\b({_words(r['spans'])})\b", low):
        kind = r["spans"][next(k for k in r["spans"] if fold(k) == m.group(1))]
        monday = pub - dt.timedelta(days=pub.weekday())
        if kind == "last_week":
            s, e, p = monday - dt.timedelta(days=7), monday - dt.timedelta(days=1), 2
        elif kind == "this_week":
            s, e, p = monday, pub, 2
        elif kind == "weekend":
            sunday = pub - dt.timedelta(days=(pub.weekday() + 1) % 7 or 7) if pub.weekday() != 6 else pub
            s, e, p = sunday - dt.timedelta(days=1), sunday, 2
        elif kind == "last_month":
            e = pub.replace(day=1) - dt.timedelta(days=1)
            s, p = e.replace(day=1), 3
        else:  # this_month
            s, e, p = pub.replace(day=1), pub, 3
        out.append(_cand(text, m, s, e, p))
    return out


def _fixed(text: str, low: str, pub: dt.date, r: dict) -> list[Candidate]:
    out = []
    for m in re.finditer(rf"\b({_words(r['days_ago'])})(?![\w-])", low):
        n = next(v for k, v in r["days_ago"].items() if fold(k) == m.group(1))
        d = pub - dt.timedelta(days=n)
        out.append(_cand(text, m, d, d, 1))
    return out


def _weekdays(text: str, low: str, pub: dt.date, r: dict) -> list[Candidate]:
    out = []
    days = {fold(d): i for lang in r["weekdays"].values() for i, d in enumerate(lang)}
    before = _words(r["last_before"])
    after = _words(r["last_after"])
    parts = _words(r["day_parts"])
    pattern = (rf"(?:\b(?:on|le|dans la nuit de|the night of|on the night of)\s+)?(?:\b({before})\s+)?"
               rf"\b({_words(days)})\b(?:\s*({parts}))?(?:\s+({after})\b)?"
               rf"(?:\s+(?:a|au|to)\s+(?:{_words(days)}))?")
    for m in re.finditer(pattern, low):
        weekday = days[m.group(2)]
        back = (pub.weekday() - weekday) % 7
        if (m.group(1) or m.group(4)) and back == 0:
            back = 7
        d = pub - dt.timedelta(days=back)
        out.append(_cand(text, m, d, d, 1))
    return out


def _absolute(text: str, low: str, pub: dt.date, r: dict) -> list[Candidate]:
    out = []
    months = {fold(mo): i + 1 for lang in r["months"].values() for i, mo in enumerate(lang)}
    names = _words(months)
    day_first = rf"\b(?:(?:on|le)\s+)?(?:the\s+)?(\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?:of\s+)?({names})\b(?:,?\s+(\d{{4}}))?"
    month_first = rf"\b(?:on\s+)?({names})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"
    taken: list[tuple[int, int]] = []
    for m in re.finditer(day_first, low):
        d = _date(int(m.group(3)) if m.group(3) else None, months[m.group(2)], int(m.group(1)), pub)
        if d:
            out.append(_cand(text, m, d, d, 1))
            taken.append(m.span())
    for m in re.finditer(month_first, low):
        d = _date(int(m.group(3)) if m.group(3) else None, months[m.group(1)], int(m.group(2)), pub)
        if d and not any(a <= m.start() < b for a, b in taken):
            out.append(_cand(text, m, d, d, 1))
            taken.append(m.span())
    for m in re.finditer(rf"\b(?:in|en|since|depuis|early|late|mid|debut|fin)\s+({names})\b(?:\s+(\d{{4}}))?", low):
        if any(a <= m.start(1) < b for a, b in taken):
            continue
        month = months[m.group(1)]
        year = int(m.group(2)) if m.group(2) else (pub.year if month <= pub.month else pub.year - 1)
        s = dt.date(year, month, 1)
        e = dt.date(year, month, calendar.monthrange(year, month)[1])
        out.append(_cand(text, m, s, min(e, pub) if s <= pub else e, 3))
    return out


def _date(year: int | None, month: int, day: int, pub: dt.date) -> dt.date | None:
    try:
        if year:
            return dt.date(year, month, day)
        d = dt.date(pub.year, month, day)
        return d if d <= pub else dt.date(pub.year - 1, month, day)
    except ValueError:
        return None


def _ago(text: str, low: str, pub: dt.date) -> list[Candidate]:
    out = []
    pattern = r"\b(?:(\w+(?:-\w+)?)\s+days?\s+ago|il y a\s+(\w+(?:-\w+)?)\s+jours?)\b"
    for m in re.finditer(pattern, low):
        word = m.group(1) or m.group(2)
        try:
            n = int(word) if word.isdigit() else text2num(word, "en" if m.group(1) else "fr")
        except (ValueError, TypeError):
            continue
        d = pub - dt.timedelta(days=n)
        out.append(_cand(text, m, d, d, 1))
    return out
