"""Loading YAML that nobody vetted: plain data only, bounded in size, depth and sharing.

Only the safe loader runs (no language tags such as !!python/object). Anchors and aliases are
refused outright: raw reports never need them and they are how "billion laughs" bombs expand.
Files must be UTF-8 without NUL bytes.
"""

from __future__ import annotations

from typing import Any

import yaml

try:  # libyaml's C loader is several times faster; same safety rules.
    Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    Loader = yaml.SafeLoader

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32


class YamlProblem(ValueError):
    """The bytes are not acceptable YAML; the message says why and where."""


def decode(data: bytes, max_bytes: int = MAX_BYTES) -> str:
    if len(data) > max_bytes:
        raise YamlProblem(f"file is {len(data):,} bytes; the limit is {max_bytes:,}")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise YamlProblem(f"contains a NUL byte at offset {nul} (binary or UTF-16 file?)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise YamlProblem(f"not valid UTF-8 at byte {err.start} ({data[err.start:err.start + 1]!r}); save the file as UTF-8") from None
    return text.removeprefix("\ufeff")


def loads(data: bytes) -> Any:
    """Parse one YAML document from bytes into plain Python data, or raise YamlProblem."""
    text = decode(data)
    if "&" in text or "*" in text:
        _refuse_anchors(text)
    try:
        doc = yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a SafeLoader
    except yaml.constructor.ConstructorError as err:
        raise YamlProblem(f"not plain data: {_mark(err)}{err.problem}") from None
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise YamlProblem(f"malformed YAML: {_mark(err)}{problem}") from None
    except RecursionError:
        raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels") from None
    _check_depth(doc)
    return doc


def _refuse_anchors(text: str) -> None:
    """Refuse anchors and aliases by scanning the token stream (cheap: only when & or * occur)."""
    try:
        for token in yaml.scan(text, Loader=Loader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                line = token.start_mark.line + 1
                raise YamlProblem(f"line {line}: YAML anchors and aliases (&name, *name) are not allowed in raw files")
    except yaml.YAMLError:
        return  # the parser reports the syntax error itself


def _check_depth(doc: Any) -> None:
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _mark(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
