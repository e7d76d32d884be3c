"""Scoring drafts against the labelled evaluation set (tests/draft_eval): claims and dates.

A drafted claim counts as correct when its kind, its amount, its victims and its claimant all
match a labelled one (each labelled claim can be matched once):
  amount   the same words (case and spacing aside) or the same reading in the phrase table;
  victims  the same set of names;
  claimant the same name after dropping case, accents and leading articles ("the UN" = "UN").
A labelled date counts when a drafted candidate covers its words and resolves to the same days
with the same time precision.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from .claims import same_reading
from .text import fold

ARTICLES = r"^(?:(?:the|a|an|le|la|les|un|une|des|de)\s+|l'|d')"


@dataclass
class Score:
    tp: int = 0
    predicted: int = 0
    gold: int = 0
    dates_ok: int = 0
    dates_gold: int = 0

    def add(self, other: Score) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    @property
    def dates_accuracy(self) -> float:
        return self.dates_ok / self.dates_gold if self.dates_gold else 1.0


def norm_claimant(s: str) -> str:
    s = fold(s).strip()
    s = re.sub(ARTICLES, "", s)
    return re.sub(r"\s+", " ", s)


def same_amount(a: str, b: str) -> bool:
    return fold(str(a)).split() == fold(str(b)).split() or bool(same_reading(str(a), str(b)))


def match(pred: dict, gold: dict) -> bool:
    return (pred["kind"] == gold["kind"] and same_amount(pred["phrase"], gold["phrase"])
            and set(pred["victims"]) == set(gold["victims"])
            and norm_claimant(pred["claimant"]) == norm_claimant(gold["claimant"]))


def score_claims(predicted: list[dict], gold: list[dict]) -> tuple[int, list[dict], list[dict]]:
    """(true positives, unmatched predictions, unmatched gold)."""
    left = list(gold)
    wrong = []
    for p in predicted:
        hit = next((g for g in left if match(p, g)), None)
        if hit is None:
            wrong.append(p)
        else:
            left.remove(hit)
    return len(predicted) - len(wrong), wrong, left


def date_matches(candidate, gold: dict) -> bool:
    words = fold(gold["text"])
    text = fold(candidate.text)
    if not (text in words or words in text):
        return False
    start = gold.get("date") or gold.get("start")
    end = gold.get("date") or gold.get("end")
    return (candidate.start, candidate.end, candidate.precision) == (start, end, gold["precision"])


def load(path: Path, root: Path) -> list[dict]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in items:
        if "text_from" in item:
            doc = yaml.safe_load((root / item["text_from"]).read_text(encoding="utf-8"))
            item["text"] = (doc.get("headline", "") + "\n" + doc["text"]).strip()
    return items


def run(path: Path, actors: Path, root: Path, verbose: bool = False) -> Score:
    registry, gazetteer = _inputs(actors, root)
    return score(path, root, registry, gazetteer, verbose)


def _inputs(actors: Path, root: Path):
    """The actor registry and the gazetteer (every place coded in root/raw), read once per run."""
    from . import places, registry_from_file

    return registry_from_file(actors), places.load(root / "raw")


def score(path: Path, root: Path, registry, gazetteer, verbose: bool = False) -> Score:
    from . import draft_text

    total = Score()
    for item in load(path, root):
        published = item["published"] if isinstance(item["published"], dt.date) else dt.date.fromisoformat(item["published"])
        d = draft_text(item["text"], item["source"], published, item.get("language", "en"), registry, gazetteer)
        predicted = [{"kind": c.kind, "phrase": c.phrase, "victims": list(c.victims), "claimant": c.claimant}
                     for c in d.claims]
        tp, wrong, missed = score_claims(predicted, item["claims"])
        ok = sum(1 for g in item.get("dates", []) if any(date_matches(c, g) for c in d.dates))
        s = Score(tp, len(predicted), len(item["claims"]), ok, len(item.get("dates", [])))
        total.add(s)
        if verbose and (wrong or missed or ok < s.dates_gold):
            print(f"--- {item['id']}")
            for w in wrong:
                print(f"  extra:  {w}")
            for m in missed:
                print(f"  missed: {m}")
            if ok < s.dates_gold:
                print(f"  dates: gold {item['dates']} got {[(c.text, str(c.start), str(c.end), c.precision) for c in d.dates]}")
    return total


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    folder = Path(args[0]) if args else Path("tests/draft_eval")
    root = Path(args[1]) if len(args) > 1 else Path(".")
    registry, gazetteer = _inputs(folder / "actors.yaml", root)
    total = Score()
    for part in ("dev", "heldout", "heldout2"):
        if part != "dev" and "--dev-only" in sys.argv:
            continue
        s = score(folder / f"{part}.yaml", root, registry, gazetteer, verbose)
        total.add(s)
        print(f"{part}: claims {s.tp}/{s.predicted} predicted correct, {s.tp}/{s.gold} labelled found; "
              f"claims_precision={s.precision:.3f} claims_recall={s.recall:.3f} dates_accuracy={s.dates_accuracy:.3f}")
    print(f"claims_precision={total.precision:.3f} claims_recall={total.recall:.3f} dates_accuracy={total.dates_accuracy:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
