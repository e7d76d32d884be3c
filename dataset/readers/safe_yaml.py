"""Loading YAML that nobody vetted: plain data only, bounded in size, depth and sharing.

Only the safe loader runs (no language tags such as !!python/object). Anchors and aliases are
refused outright: raw reports never need them and they are how "billion laughs" bombs expand.
Files must be UTF-8 without NUL bytes.

A report is read by PyYAML's own C parser, resolvers and scalar constructors, but its mappings and
lists are put together here, from the parser's events (`_plain`): PyYAML's generic way, a node
tree first and then the objects, costs as much again as the parse itself. Whatever is more than
plain mappings, lists and scalars goes to `yaml.load`, and so does any error, so the data and
the messages are PyYAML's either way.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (DocumentEndEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
                         SequenceStartEvent, StreamEndEvent)
from yaml.nodes import ScalarNode

try:  # libyaml's C loader is several times faster; same safety rules.
    Loader = yaml.CSafeLoader
    _Parser = yaml.cyaml.CParser  # CSafeLoader's parser alone
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    Loader = _Parser = yaml.SafeLoader

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
        return _plain(text)
    except (_NotPlain, yaml.YAMLError, ValueError):
        pass  # PyYAML's own way below decides, and words any error
    try:
        doc = yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a SafeLoader
    except yaml.constructor.ConstructorError as err:
        raise YamlProblem(f"not plain data: {_mark(err)}{err.problem}") from None
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise YamlProblem(f"malformed YAML: {_mark(err)}{problem}") from None
    except RecursionError:
        raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels") from None
    except ValueError as err:  # a scalar of a type's form but no value of it, as 2024-02-30
        raise YamlProblem(f"not a valid value: {_invalid_scalar(text)}{err}") from None
    _check_depth(doc)
    return doc


class _NotPlain(Exception):
    """The document has more than `_plain` builds: left to yaml.load."""


# What PyYAML's safe loader makes of an unquoted scalar: its resolvers by first character (the
# None key holds those tried for every scalar) and the constructors of the tags they give.
_RESOLVERS = {first: tuple(rules) + tuple(Loader.yaml_implicit_resolvers.get(None, ()))
              for first, rules in Loader.yaml_implicit_resolvers.items() if first is not None}
_WILDCARD = tuple(Loader.yaml_implicit_resolvers.get(None, ()))
_MAKERS = {tag: Loader.yaml_constructors[tag] for tag in
           ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _plain(text: str) -> Any:
    """The document built from the parser's events as yaml.load builds it, or _NotPlain.

    Handled: one document of untagged mappings, lists and scalars, without anchors, nested at
    most MAX_DEPTH deep. Scalars are resolved and constructed by PyYAML's safe loader's rules;
    a mapping's later duplicate key wins, as in yaml.load.
    """
    parser = _Parser(text)
    try:
        get = parser.get_event
        get()  # the stream's start
        if type(get()) is StreamEndEvent:
            return None  # no document: yaml.load gives None too
        open_: list[list] = []  # the lists being filled, and the key-value lists of the mappings
        root = None
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent:  # most events: tested first
                if event.anchor is not None or event.tag is not None or len(open_) >= MAX_DEPTH:
                    raise _NotPlain
                value = _scalar(event.value) if event.implicit[0] else event.value
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None or len(open_) >= MAX_DEPTH:
                    raise _NotPlain
                open_.append([])
                continue
            elif kind is SequenceEndEvent:
                value = open_.pop()
            elif kind is MappingEndEvent:
                pairs = iter(open_.pop())
                value = {}
                try:
                    for key in pairs:
                        value[key] = next(pairs)
                except TypeError:  # a key that is a list or a mapping: yaml.load words the error
                    raise _NotPlain from None
            elif kind is DocumentEndEvent:
                break
            else:
                raise _NotPlain  # an alias
            if open_:
                open_[-1].append(value)
            else:
                root = value
        if type(get()) is not StreamEndEvent:
            raise _NotPlain  # several documents: yaml.load refuses them
        return root
    finally:
        parser.dispose()


def _scalar(value: str) -> Any:
    """An unquoted scalar as PyYAML's safe loader makes it: text, or what a resolver's tag says."""
    rules = _RESOLVERS.get(value[:1], _WILDCARD)
    if not rules:
        return value
    known = _RESOLVED.get(value, _RESOLVED)
    if known is not _RESOLVED:
        return known
    made = _resolved(value, rules)
    if len(value) <= 32 and len(_RESOLVED) < _RESOLVED_MAX:  # short ones: texts are rarely repeated
        _RESOLVED[value] = made
    return made


# Scalars a resolver was tried on, and what they made (numbers, booleans, dates: immutable
# values, shared safely): reports repeat their precisions, figures and dates.
_RESOLVED: dict[str, Any] = {}
_RESOLVED_MAX = 100_000


def _resolved(value: str, rules: tuple) -> Any:
    """`value` made by the first of its resolvers' `rules` (tag, pattern) that matches it, or
    itself; ValueError where the pattern matches but the constructor refuses (2024-02-30)."""
    for tag, pattern in rules:
        if pattern.match(value):
            make = _MAKERS.get(tag)
            if make is None:
                raise _NotPlain  # a merge key (<<), a value key (=) and the like
            return make(_CONSTRUCTOR, ScalarNode(tag, value))
    return value


_KIND = {"tag:yaml.org,2002:timestamp": "date"}  # the words a problem uses for a resolver's tag


def _invalid_scalar(text: str) -> str:
    """Where the first unquoted scalar that its resolver's constructor refuses is, and what it
    read as; "" if none is found (the error then stands alone)."""
    for event in yaml.parse(text, Loader=Loader):
        if not (isinstance(event, ScalarEvent) and event.implicit[0]):
            continue
        rules = _RESOLVERS.get(event.value[:1], _WILDCARD)
        try:
            _resolved(event.value, rules)
        except ValueError:
            tag = next(tag for tag, pattern in rules if pattern.match(event.value))
            mark = event.start_mark
            return (f"line {mark.line + 1}, column {mark.column + 1}: {event.value!r} as a "
                    f"{_KIND.get(tag, tag.rsplit(':', 1)[-1])}: ")
        except _NotPlain:
            continue
    return ""


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
