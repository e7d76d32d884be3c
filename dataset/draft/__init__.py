"""Drafting a coding from a report's text (issue 10): claims, actors, places, dates, event type.

`draft_text` is pure (text in, `Draft` out); `render.draft_yaml` turns a Draft into raw-format v1
YAML marked `draft: true`, which the build refuses until a coder has reviewed it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import claims as claims_mod
from . import context, dates, lexicon, text
from .claims import Claim
from .context import Context, Registry
from .dates import Candidate


@dataclass
class Draft:
    text: str
    source: str
    published: dt.date
    language: str
    claims: list[Claim]
    dates: list[Candidate]
    actors: list[str]  # registered actors named, in order of first mention
    countries: list[str]
    background: list[Claim] = field(default_factory=list)
    places: list = field(default_factory=list)
    context: Context | None = None  # what the rules knew (actors, countries), for rendering


def registry_from_file(path: Path) -> Registry:
    return Registry.from_entries(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or [])


def draft_text(body: str, source: str, published: dt.date, language: str, registry: Registry,
               gazetteer=None) -> Draft:
    lex = lexicon.load()
    sents = text.sentences(body)
    ctx = context.build(lex, registry, sents, language, source, published)
    mentions = []
    if gazetteer is not None:
        from . import places

        mentions = places.find(sents, ctx, gazetteer)
        # countries of the places named come after the countries named outright
        ctx.countries += [c for c in dict.fromkeys(m.place.country for m in mentions) if c not in ctx.countries]
    found = claims_mod.extract(sents, ctx)
    return Draft(body, source, published, language, [c for c in found if not c.background],
                 dates.find(body, published), list(dict.fromkeys(ctx.mentioned)), ctx.countries,
                 background=[c for c in found if c.background], places=mentions, context=ctx)
