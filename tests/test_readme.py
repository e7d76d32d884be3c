"""The README's examples run as written (documentation that never runs drifts)."""

from __future__ import annotations

import os
import re
import shutil

from .conftest import MULTI_RAW, ROOT, build

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_loading_examples_run_against_a_release(tmp_path):
    build(MULTI_RAW, tmp_path / "releases")
    blocks = re.findall(r"```python\n(.*?)```", section("Load a release in pandas"), flags=re.S)
    assert len(blocks) == 2
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        namespace: dict = {}
        for code in blocks:
            exec(compile(code, "README.md", "exec"), namespace)
    finally:
        os.chdir(here)
    assert len(namespace["events"]) == 7 and "claims" in namespace


def test_the_two_commands_are_the_readme_and_ci_commands():
    commands = re.findall(r"^make (\w+)", section("Two commands"), flags=re.M)
    assert commands == ["build", "test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("build", "test", "bench", "analyses", "eval", "verify"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target


def test_raw_format_example_builds_as_it_stands(tmp_path):
    """The issue's example report (in the README) builds with the seed's actor registry."""
    text = section("Raw input format v1")
    report, actors = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)[:2]
    raw = tmp_path / "raw"
    (raw / "reports" / "2024").mkdir(parents=True)
    (raw / "reports" / "2024" / "example.yaml").write_text(report, encoding="utf-8")
    shutil.copy(ROOT / "raw" / "actors.yaml", raw / "actors.yaml")
    outcome = build(raw, tmp_path / "out")
    assert outcome.rows == {"events": 1, "claims": 1, "reports": 1}
