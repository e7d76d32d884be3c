"""The codebook and the Frictionless data package, generated from the schemas and the rules.

Nothing here restates a column, a dtype, a vocabulary or a rule by hand: columns, titles,
descriptions and constraints come from the pandera models, the CSV reading options from
`load.csv_options`, the phrase readings from phrases.yaml, the methodology from the docstrings of
the rule modules, and the worked example is computed by the rule code itself.
"""

from __future__ import annotations

import inspect
import json
import textwrap
from typing import Any

import pandas as pd

import schemas
from schemas import vocab

from .load import csv_options
from .rules import aggregate, claimants, days, phrases

PACKAGE_NAME = "conflict-events"
FRICTIONLESS_TYPE = {"string": "string", "category": "string", "integer": "integer", "number": "number",
                     "date": "date", "boolean": "boolean"}

# The seed report's claims (raw/reports/2024/ap-2024-07-27-mali-tinzawaten.yaml), run through the
# real rules below to give the codebook's worked example; a test checks the seed release agrees.
WORKED_EXAMPLE = [
    {"claimant": "CSP-DPA", "victims": "Military Forces of Mali (2021-); Wagner Group", "killed": "dozens",
     "victim_group": "side_b", "stance": "enemy"},
    {"claimant": "Military Forces of Mali (2021-)", "victims": "Military Forces of Mali (2021-)", "killed": "two",
     "victim_group": "side_b", "stance": "own"},
    {"claimant": "Military Forces of Mali (2021-)", "victims": "CSP-DPA", "killed": "approximately 20",
     "victim_group": "side_a", "stance": "enemy"},
]


# -- columns ---------------------------------------------------------------------------------

def columns(table: str) -> list[dict[str, Any]]:
    """One description per column: name, title, kind, pandas dtype, required, constraints."""
    model = schemas.model(table)
    dtypes = schemas.pandas_dtypes(model)
    out = []
    for name, col in model.to_schema().columns.items():
        dtype = dtypes[name]
        constraints: dict[str, Any] = {}
        if col.unique:
            constraints["unique"] = True
        if isinstance(dtype, pd.CategoricalDtype):
            constraints["enum"] = [str(c) for c in dtype.categories]
        for check in col.checks:
            stats = check.statistics or {}
            if check.name == "isin":
                constraints["enum"] = sorted(stats["allowed_values"], key=str) if not isinstance(dtype, pd.CategoricalDtype) else constraints["enum"]
            elif check.name == "greater_than_or_equal_to":
                constraints["minimum"] = stats["min_value"]
            elif check.name == "less_than_or_equal_to":
                constraints["maximum"] = stats["max_value"]
            elif check.name == "str_fullmatch":  # the whole value, as a data package's pattern
                constraints["pattern"] = stats["pattern"]
            elif check.name == "str_length" and stats.get("min_value"):
                constraints["minLength"] = stats["min_value"]
        out.append({"name": name, "title": col.title or name, "description": col.description or "",
                    "kind": schemas.kind(dtype), "dtype": str(dtype) if not isinstance(dtype, pd.CategoricalDtype) else "category",
                    "nullable": bool(col.nullable), "constraints": constraints})
    return out


def table_rules(table: str) -> list[tuple[str, str]]:
    """The named cross-column checks of a table with what each requires."""
    model = schemas.model(table)
    return [(c.name, inspect.getdoc(getattr(model, c.name)) or "") for c in model.to_schema().checks]


# -- worked example --------------------------------------------------------------------------

def worked_example() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """(claims with readings, groups, event totals) for the seed report, computed by the rules."""
    rows = []
    for c in WORKED_EXAMPLE:
        r = phrases.read(c["killed"])
        rows.append({**c, "rule": r.rule, "fatalities_low": r.low, "fatalities_best": r.best,
                     "fatalities_high": r.high, "fatalities_acled": r.acled})
    claims = pd.DataFrame(rows).assign(event_id_cnty="MLI1")
    for col in ("fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled"):
        claims[col] = claims[col].astype("Int64")
    groups = aggregate.groups(claims)
    totals = {"fatalities_low": int(groups["low"].sum()), "fatalities_best": int(groups["best"].sum()),
              "fatalities_high": int(groups["high"].sum()), "fatalities": int(groups["acled"].sum())}
    best = dict(zip(groups["victim_group"], groups["best"]))
    for group, column in zip(vocab.VICTIM_GROUPS, ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")):
        totals[column] = int(best.get(group, 0))
    return claims, groups, totals


# -- markdown --------------------------------------------------------------------------------

def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    esc = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _constraint_text(c: dict[str, Any]) -> str:
    parts = []
    if "enum" in c:
        values = c["enum"]
        parts.append("one of " + ", ".join(f"`{v}`" if v != "" else '`""`' for v in values) if len(values) <= 12
                     else f"one of {len(values)} values (see Vocabularies)")
    if "minimum" in c:
        parts.append(f">= {c['minimum']}")
    if "maximum" in c:
        parts.append(f"<= {c['maximum']}")
    if "pattern" in c:
        parts.append(f"matches `{c['pattern']}` as a whole")
    if c.get("minLength"):
        parts.append("not empty")
    if c.get("unique"):
        parts.append("unique")
    return "; ".join(parts)


def _phrase_rules() -> str:
    doc = phrases.table().doc
    rows = [["exact number", "2, two, twenty-three, a dozen, 1,200", "N", "N", "N", "N"]]
    for name, m in doc["modifiers"].items():
        words = ", ".join(m.get("before", [])[:6]) + ("; after: " + ", ".join(m["after"]) if m.get("after") else "")
        rows.append([f"{name} N ({m['meaning']})", words, m["low"], m["best"], m["high"], m["acled"]])
    rows.append(["range A..B", "between A and B, A to B, A-B, A or B, entre A et B", "A", "(A+B)/2 rounded down", "B", "A"])
    approx = doc["approximate_numbers"]
    rows.append([f"approximate number ({approx['rule']} N)", ", ".join(f"{k} (N={v})" for k, v in approx["words"].items()),
                 "", "", "", ""])
    for name, v in doc["vague"].items():
        rows.append([f"vague: {name}", ", ".join(v["words"]), v["low"], v["best"], v["high"], v["acled"]])
    rows.append(["absent", ", ".join(str(w) for w in doc["absent"]), 0, 0, 0, 0])
    units = ", ".join(f"{k} x{v}" for k, v in doc["units"].items())
    return (_md_table(["reading", "words (examples)", "low", "best", "high", "ACLED"], rows)
            + f"\n\nUnits multiply the number or vague quantity before them: {units} "
            "(\"several hundred\" = 300 / 500 / 900, ACLED 300).\n")


def _worked_example_md() -> str:
    claims, groups, totals = worked_example()
    rows = [[c.claimant, c.victims, c.killed, c.victim_group, c.stance,
             f"{c.fatalities_low} / {c.fatalities_best} / {c.fatalities_high}", c.fatalities_acled]
            for c in claims.itertuples()]
    g = [[r.victim_group, r.low, r.best, r.high, r.acled] for r in groups.itertuples()]
    return "\n\n".join([
        "The seed report (Associated Press, 27 July 2024): the battle at Tinzaouaten, Mali, CSP-DPA (actor1) "
        "against the Military Forces of Mali (2021-) (actor2) with the Wagner Group associated.",
        _md_table(["claimant", "victims", "as written", "group", "stance", "low / best / high", "ACLED"], rows),
        "Per group (side_b: the army's own admission, the most credible claim present, gives best; the range "
        "runs from the lowest to the highest figure anyone gave):",
        _md_table(["group", "low", "best", "high", "ACLED value"], g),
        "The event: " + ", ".join(f"`{k}` = {v}" for k, v in totals.items()) + ".",
    ])


def markdown(version: str | None = None) -> str:
    """CODEBOOK.md: tables and columns, loading, vocabularies, and the fatality methodology."""
    head = ["# Codebook", ""]
    head.append(f"Schema version {schemas.SCHEMA_VERSION}; phrase rules version {phrases.table().version}"
                + (f"; release {version}." if version else "."))
    head += ["", "Generated from the pandera schemas in `schemas/` and the rules in `dataset/rules/`; "
             "do not edit by hand (`python -m dataset codebook`).", ""]
    parts = ["\n".join(head)]
    parts.append("## Loading\n\n```python\nimport pandas as pd\n"
                 "events = pd.read_parquet(\"events.parquet\")  # dtypes are stored in the file\n```\n\n"
                 "CSV files are UTF-8, comma-separated, with a header row; dates are `YYYY-MM-DD`. Text columns never "
                 "hold missing values (an empty string means none, as in ACLED); only the nullable number columns "
                 "marked below use an empty field for a missing value. `pd.read_csv(path, **options)` with these "
                 "options gives exactly the Parquet frame (`dataset.csv_options(table)` returns them):\n")
    for table in [*schemas.TABLES, *schemas.REVIEW_TABLES]:
        opts = csv_options(table)
        shown = {"dtype": {k: (f"CategoricalDtype(<{len(v.categories)} categories below>)" if isinstance(v, pd.CategoricalDtype) else str(v))
                           for k, v in opts["dtype"].items()},
                 "parse_dates": opts["parse_dates"], "keep_default_na": False, "na_values": opts["na_values"]}
        parts.append(f"`{table}`:\n\n```json\n{json.dumps(shown)}\n```\n")
    sorted_by = {"events": "by country, date and ID", "claims": "by event, then ID", "reports": "by ID",
                 "links": "by key_a, then key_b"}
    for table, model in [*schemas.TABLES.items(), *schemas.REVIEW_TABLES.items()]:
        key = ", ".join(schemas.PRIMARY_KEYS[table])
        review = (" A review table, published as `links.csv` only (no Parquet twin): it records the linking "
                  "rule's decisions for people checking them, not events to analyse.") if table in schemas.REVIEW_TABLES else ""
        parts.append(f"## Table `{table}`\n\n{inspect.getdoc(model)}{review} Primary key: `{key}`; rows are sorted "
                     f"{sorted_by[table]}.\n")
        rows = [[f"`{c['name']}`", c["title"], c["dtype"], "yes" if c["nullable"] else "no",
                 _constraint_text(c["constraints"]), c["description"]] for c in columns(table)]
        parts.append(_md_table(["column", "title", "dtype", "may be missing", "allowed values", "description"], rows))
        rules = table_rules(table)
        if rules:
            parts.append("\nRules checked on every build:\n\n" + "\n".join(f"- `{n}`: {d}" for n, d in rules) + "\n")
    parts.append("## Vocabularies\n\nEvent types, sub-event types and disorder types (ACLED):\n\n"
                 + _md_table(["event_type", "sub_event_type", "disorder_type"],
                             [[e, s, d] for e, subs in vocab.TAXONOMY.items() for s, d in subs.items()])
                 + "\n\nInter codes: " + ", ".join(f"{k} {v}" for k, v in vocab.INTER_LABELS.items())
                 + "; 0 no actor. Source scales: " + ", ".join(vocab.SOURCE_SCALES)
                 + ". Regions: " + ", ".join(vocab.REGIONS) + ".\n\nCountries (ACLED spelling, ISO numeric, ISO alpha-3, region):\n\n"
                 + _md_table(["country", "iso", "alpha-3", "region"],
                             [[c.name, c.iso, c.iso3, c.region] for c in vocab.countries().values()]) + "\n")
    parts.append("## Fatality methodology\n\n### 1. From a phrase to a range\n\n"
                 "Each claim's `killed` and `wounded` are read as written with the versioned phrase table "
                 "(`dataset/rules/phrases.yaml`). Every reading satisfies 0 <= low <= best <= high and "
                 "low <= ACLED value <= high; a phrase the table cannot read stops the build.\n\n"
                 + textwrap.dedent(phrases.RULES_NOTE) + "\n" + _phrase_rules())
    parts.append("### 2. Who claims what about whom\n\n" + inspect.getdoc(claimants) + "\n")
    parts.append("### 3. From claims to an event\n\n" + inspect.getdoc(aggregate) + "\n\nThe event's "
                 "`fatalities_low`, `fatalities_best` and `fatalities_high` are the sums over its groups; "
                 "`fatalities` is the sum of the groups' ACLED values; `deaths_a`, `deaths_b`, "
                 "`deaths_civilians` and `deaths_unknown` are the groups' bests, so they add up to "
                 "`fatalities_best`.\n")
    parts.append("### 4. Multi-day events\n\n" + inspect.getdoc(days) + "\n")
    parts.append("### 5. Worked example\n\n" + _worked_example_md() + "\n")
    return "\n".join(parts).rstrip() + "\n"


# -- data package ----------------------------------------------------------------------------

def _field(c: dict[str, Any]) -> dict[str, Any]:
    field: dict[str, Any] = {"name": c["name"], "title": c["title"], "description": c["description"],
                             "type": FRICTIONLESS_TYPE[c["kind"]]}
    if c["kind"] == "date":
        field["format"] = "%Y-%m-%d"
    cons = {k: v for k, v in c["constraints"].items() if k in ("enum", "minimum", "maximum", "pattern", "unique")}
    if not c["nullable"]:
        cons["required"] = True
    if c["kind"] == "string" and c["constraints"].get("minLength"):
        cons["minLength"] = c["constraints"]["minLength"]
    if cons:
        field["constraints"] = cons
    # Text: an empty field is the empty string, not missing. Numbers: empty means missing.
    field["missingValues"] = [] if c["kind"] in ("string", "category") else [""]
    return field


DIALECT = {"delimiter": ",", "doubleQuote": True, "header": True, "lineTerminator": "\n"}


def _csv_resource(table: str, title: str, digests: dict) -> dict[str, Any]:
    """The tabular-data resource of `table`'s CSV file, its schema from the pandera model."""
    name = f"{table}.csv"
    schema = {"fields": [_field(c) for c in columns(table)], "primaryKey": schemas.PRIMARY_KEYS[table],
              "missingValues": [""]}
    return {"name": table, "path": name, "profile": "tabular-data-resource", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "title": title,
            "description": inspect.getdoc(schemas.model(table)), "dialect": DIALECT,
            "hash": f"sha256:{digests[name].sha256}", "bytes": digests[name].bytes, "schema": schema}


def datapackage(version: str, digests: dict) -> dict[str, Any]:
    """Frictionless Data Package descriptor of the release's CSV and Parquet files.

    `digests` maps file names to their release.Digest (sha256 and size).
    """
    resources = []
    for table in schemas.TABLES:
        resource = _csv_resource(table, f"{table} (CSV)", digests)
        if table in schemas.FOREIGN_KEYS:
            resource["schema"]["foreignKeys"] = [{"fields": column, "reference": {"resource": other, "fields": field}}
                                                 for column, (other, field) in schemas.FOREIGN_KEYS[table].items()]
        # The Parquet twin is an extension property: Frictionless validates the CSV resource, and
        # `dataset verify` checks both files' hash and size against the manifest.
        parquet_name = f"{table}.parquet"
        resource["x-parquet"] = {
            "path": parquet_name, "format": "parquet", "mediatype": "application/vnd.apache.parquet",
            "description": f"The same rows and columns as {table}.csv, with the pandas dtypes stored.",
            "hash": f"sha256:{digests[parquet_name].sha256}", "bytes": digests[parquet_name].bytes,
        }
        resources.append(resource)
    resources += [_csv_resource(table, f"{table} (CSV, review table)", digests)
                  for table in schemas.REVIEW_TABLES if f"{table}.csv" in digests]
    return {
        "profile": "data-package", "name": PACKAGE_NAME, "version": version,
        "title": "Conflict events with per-source fatality ranges",
        "description": "ACLED-compatible conflict events built from coded reports; every fatality figure keeps its "
                       "source, claimant and low/best/high range. See CODEBOOK.md.",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                      "title": "Creative Commons Attribution 4.0"}],
        "resources": resources,
    }


def datapackage_bytes(version: str, digests: dict) -> bytes:
    return (json.dumps(datapackage(version, digests), indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")
