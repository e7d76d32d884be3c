"""A Draft as raw-format v1 YAML text, with the review notes as comments.

Written by hand rather than by yaml.dump so each field can say where its value came from
("# suggested from ..."), and fields the drafter cannot fill stay visible: `null  # TODO ...`.
A required field left null makes the reader refuse the report even after `draft: true` is removed,
so nothing unreviewed can slip into a release. Values are quoted by PyYAML, so the file parses.
"""

from __future__ import annotations

import re

import yaml

from . import suggest
from .context import Context

KIND_FIELDS = ("killed", "wounded")  # the claim fields of format v1; other kinds go to the review list


def scalar(value) -> str:
    """One YAML scalar (or flow list) on one line, quoted where YAML needs it."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return re.sub(r"\n\.\.\.$", "", text)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "report"


def draft_yaml(d, ctx: Context, file_name: str = "", headline: str = "", source_scale: str | None = None,
               version: str = "") -> str:
    lines: list[str] = []
    add = lines.append
    add(f"# DRAFT coding of {file_name or 'a report'}, made by `python -m dataset draft` (rules {version}).")
    add("# Review every value against the text: `# suggested` marks a guess, `null  # TODO` a field to fill.")
    add("# The build refuses this file while `draft: true` is set; remove it when the coding is reviewed.")
    _review(d, add)
    _candidates(d, add)
    add("draft: true")
    place = suggest.place(d)
    when = suggest.date(d)
    country = place.place.country if place else (d.countries[0] if d.countries else "")
    key_parts = [slug(country) if country else "", slug(place.place.name) if place else "",
                 when.start.isoformat() if when else d.published.isoformat()]
    add(f"id: {scalar(slug(d.source) + '-' + d.published.isoformat() + ('-' + slug(place.place.name) if place else ''))}"
        "  # suggested")
    add(f"source: {scalar(d.source)}")
    add(f"source_scale: {scalar(source_scale)}" if source_scale else
        "source_scale: null  # TODO: ACLED's words (Local partner, Subnational, National, Regional, International, New media, Other)")
    add(f"published: {d.published.isoformat()}")
    if headline:
        add(f"headline: {scalar(headline)}")
    add(f"language: {d.language}")
    add("text: |-")
    for line in d.text.splitlines() or [""]:
        add(("  " + line).rstrip())
    add("events:")
    add(f"  - key: {scalar('-'.join(p for p in key_parts if p))}  # suggested")
    _event(d, ctx, add, place, when, country)
    add("    claims:" if d.claims else "    claims: []  # no killed or wounded figure found: check the text")
    for c in _grouped(d.claims):
        _claim(c, add)
    return "\n".join(lines) + "\n"


def _event(d, ctx, add, place, when, country) -> None:
    if when:
        add(f"    date: {when.start.isoformat()}  # suggested from {when.text!r}")
        add(f"    time_precision: {when.precision}  # suggested")
        if when.end != when.start:
            add(f"    # {when.text!r} spans {when.start} .. {when.end}: use date_start/date_end if the event lasted so")
    else:
        add("    date: null  # TODO: no date found in the text")
        add("    time_precision: null  # TODO: 1 day, 2 week or span, 3 month")
    et = suggest.event_type(d.text, ctx)
    if et:
        add(f"    event_type: {scalar(et[0])}  # suggested from {', '.join(map(repr, et[2][:4]))}")
        add(f"    sub_event_type: {scalar(et[1])}  # suggested")
    else:
        add("    event_type: null  # TODO: no cue word found")
        add("    sub_event_type: null  # TODO")
    first, second = suggest.sides(d, ctx)
    a1, assoc1 = suggest.main_and_associates(first, ctx)
    a2, assoc2 = suggest.main_and_associates(second, ctx)
    add(f"    actor1: {scalar(a1)}  # suggested" if a1 else "    actor1: null  # TODO: no registered actor found")
    add(f"    assoc_actor_1: {scalar(assoc1)}")
    add(f"    actor2: {scalar(a2)}  # suggested" if a2 else "    actor2: null  # TODO (empty only for one-sided event types)")
    add(f"    assoc_actor_2: {scalar(assoc2)}")
    add(f"    country: {scalar(country)}  # suggested" if country else "    country: null  # TODO")
    if place:
        p = place.place
        coded = p.origin.startswith("raw/")
        add(f"    admin1: {scalar(p.admin1)}  # from {p.origin}" if coded and p.admin1 else "    admin1: null  # TODO")
        add(f"    admin2: {scalar(p.admin2 or None)}" if coded else "    admin2: null  # TODO (optional)")
        add("    admin3: null")
        add(f"    location: {scalar(p.name)}  # suggested from {place.written!r} ({p.origin})")
        add(f"    latitude: {p.latitude}")
        add(f"    longitude: {p.longitude}")
        precision = p.geo_precision if coded and p.geo_precision else (2 if place.near else 1)
        add(f"    geo_precision: {precision}  # suggested")
    else:
        add("    admin1: null  # TODO")
        add("    admin2: null")
        add("    admin3: null")
        add("    location: null  # TODO: no known place found in the text")
        add("    latitude: null  # TODO")
        add("    longitude: null  # TODO")
        add("    geo_precision: null  # TODO")
    add(f"    civilian_targeting: {'true' if et and et[0] == 'Violence against civilians' else 'false'}  # suggested")
    add("    tags: []")
    add("    notes: null  # TODO: the coder's summary")


def _grouped(claims):
    """killed and wounded of the same claimant, victims and sentence make one claim."""
    out: list[dict] = []
    for c in claims:
        if c.kind not in KIND_FIELDS:
            continue
        same = next((g for g in out if g["claimant"] == c.claimant and g["victims"] == list(c.victims)
                     and g["sentence"] == c.sentence and c.kind not in g), None)
        if same:
            same[c.kind] = c.phrase
            same["notes"].append(c)
            continue
        out.append({"claimant": c.claimant, "victims": list(c.victims), c.kind: c.phrase, "quote": c.quote,
                    "sentence": c.sentence, "notes": [c], "also": list(c.also)})
    return out


def _claim(g: dict, add) -> None:
    c = g["notes"][0]
    why = f"from {c.speaker!r}" if c.speaker and c.speaker != g["claimant"] else ("outlet: nothing attributed" if not c.speaker else "")
    add(f"      - claimant: {scalar(g['claimant'])}" + (f"  # {why}" if why else ""))
    written = "; ".join(n.victims_written for n in g["notes"] if n.victims_written)
    add(f"        victims: {scalar(g['victims'])}" + (f"  # as written: {written!r}" if written else ""))
    for kind in KIND_FIELDS:
        if kind in g:
            add(f"        {kind}: {scalar(g[kind])}")
    add(f"        quote: {scalar(g['quote'])}")
    for other in g["also"]:
        add(f"        # also stated: {other}")


def _review(d, add) -> None:
    items = [c for c in d.claims if c.kind not in KIND_FIELDS]
    if not items and not d.background:
        return
    add("#")
    add("# REVIEW LIST (not coded as claims: format v1 has only killed and wounded):")
    for c in items:
        add(f"#   {c.kind}: {c.phrase!r} of {', '.join(c.victims)}; claimant {c.claimant}: {c.quote}")
    for c in d.background:
        add(f"#   earlier event? {c.kind}: {c.phrase!r} of {', '.join(c.victims)}; claimant {c.claimant}: {c.quote}")


def _candidates(d, add) -> None:
    add("#")
    add(f"# Candidate actors (registered): {', '.join(d.actors) or 'none'}")
    add("# Candidate places: " + ("; ".join(
        f"{m.written} -> {m.place.name}, {m.place.country} ({m.place.origin}{', dateline' if m.dateline else ''})"
        for m in d.places) or "none found"))
    add("# Candidate dates: " + ("; ".join(
        f"{c.text!r} -> {c.start}{'' if c.end == c.start else ' .. ' + str(c.end)} (precision {c.precision})"
        for c in d.dates) or "none found"))
    add("#")
