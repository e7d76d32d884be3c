"""Where imported datasets meet the rest of the build: the actor registry, linking, and the
checks that were written for coders' own reports. Called once from pipeline.compile_release,
between staging and the checks, so the rest of the build sees ordinary staged tables.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .link import link, origin
from .problems import WARNING, Problem, problem
from .readers import actors as actor_registry
from .readers import link_overrides
from .readers.actors import RESERVED, resolver
from .staged import Staged

# The registry takes an imported actor's inter code from the most direct evidence present:
# ACLED's own code for the actor, then the code UCDP GED's sides get from mappings/ucdp.yaml, then
# (for a name only ever associated) the code of the actor it appears beside. Only ACLED's own
# codes can disagree in a way worth a warning; the others are this project's inferences.
BASIS_ORDER = {"acled": 0, "ucdp": 1, "beside": 2}

# Checks written against coders' mistakes that imported records fail without being wrong. For
# imported events they warn instead of stopping the build.
RELAXED_FOR_IMPORTS = {
    # ACLED and UCDP GED place events at sea (Red Sea, Gulf of Aden, Mediterranean) and in
    # international waters, outside the country's bounding box, on purpose.
    "outside_country",
    # ACLED codes fighting between two units of one actor ("Unidentified Armed Group (Mali)" on
    # both sides, communal militias of one community) with actor1 equal to actor2.
    "same_actor_twice",
}


@dataclass
class Joined:
    staged: Staged
    actors: pd.DataFrame
    links: pd.DataFrame
    problems: list[Problem]


def join(raw: Path, staged: Staged, actors: pd.DataFrame) -> Joined:
    """The registry extended by imported actors, then events of different sources linked."""
    actors, registry_problems = extend_registry(actors, staged.actors)
    overrides, override_problems = link_overrides.read(raw)
    linked = link(staged, actors, overrides)
    return Joined(linked.staged, actors, linked.table, registry_problems + override_problems + linked.problems)


def extend_registry(actors: pd.DataFrame, observed: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Add every imported actor that raw/actors.yaml does not name (nor alias) to the registry.

    raw/actors.yaml always wins: an imported name it lists resolves to the registered actor and its
    code. Otherwise the code comes from the best basis present (BASIS_ORDER); within it the most
    frequent code, ties to the lower code; disagreements are warnings naming the counts.
    """
    if observed.empty:  # nothing imported: the usual build of reports and sheets
        return actors, []
    known = resolver(actors)
    obs = observed.assign(fold=observed["name"].str.lower())
    obs = obs[~obs["fold"].isin(known) & ~obs["fold"].isin(RESERVED)]
    if obs.empty:
        return actors, []
    obs = obs.assign(order=obs["basis"].map(BASIS_ORDER))
    counts = obs.groupby(["fold", "order", "basis", "inter"], as_index=False).agg(
        rows=("rows", "sum"), name=("name", "min"), files=("file", lambda f: ", ".join(sorted(set(f)))))
    counts = counts[counts["order"] == counts.groupby("fold")["order"].transform("min")]
    # ACLED's own codes: the most frequent. Inferred codes: the lowest, since a UCDP side that
    # fights a government (2) in one event is the same organised group in a non-state one (3).
    counts = counts.assign(rank=counts["rows"].where(counts["basis"] == "acled", 0))
    counts = counts.sort_values(["fold", "rank", "inter"], ascending=[True, False, True], kind="stable")
    chosen = counts.drop_duplicates("fold")
    problems = []
    for _, group in counts[counts["basis"] == "acled"].groupby("fold", sort=True):
        if len(group) > 1:
            pick = group.iloc[0]
            seen = ", ".join(f"{int(r.inter)} in {int(r.rows)} record(s)" for r in group.itertuples())
            problems.append(problem(
                "imported_actor_inter", f"ACLED codes {pick['name']!r} with different inter codes ({seen}); the registry "
                f"takes {int(pick['inter'])}, the most frequent. List the actor in raw/actors.yaml to decide",
                file=group["files"].iloc[0].split(", ")[0], field=f"actor {pick['name']!r}", severity=WARNING))
    added = pd.DataFrame({"name": chosen["name"], "inter": chosen["inter"], "aliases": ""})
    columns = actor_registry.COLUMNS
    out = pd.concat([actors, added.astype(columns)], ignore_index=True).astype(columns)
    return out, problems


def relax(problems: list[Problem]) -> list[Problem]:
    """Problems of the checks in RELAXED_FOR_IMPORTS about imported records, as warnings."""
    return [replace(p, severity=WARNING, message=p.message + " (an imported record: reported, not refused)")
            if p.code in RELAXED_FOR_IMPORTS and origin(p.file) != "report" else p for p in problems]


__all__ = ["Joined", "RELAXED_FOR_IMPORTS", "extend_registry", "join", "relax"]
