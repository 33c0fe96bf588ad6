"""The bounded, strict YAML loader behind :func:`computebroker.inputs.parse_yaml_text`, in its
own module so that importing ``computebroker.inputs`` does not import PyYAML (a simulate run
on an inline fleet and a CSV trace reads no YAML)."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from computebroker.inputs import (
    MAX_YAML_ALIASES,
    MAX_YAML_DEPTH,
    MAX_YAML_INT_CHARS,
    MAX_YAML_NODES,
    Loc,
)

__all__ = ["BoundedLoader", "Refused", "too_many_values", "walk_lines"]


class Refused(yaml.YAMLError):
    """A document the bounded loader refuses; carries the line where it was noticed."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


# YAML 1.1 (PyYAML) reads ``7e0`` and ``15e12`` as strings because its float pattern needs a
# dot; YAML 1.2 and every user read them as numbers. This pattern adds the dot-less exponent form.
_EXP_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")


class BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses documents too deep, too large after alias expansion, or with a
    key given twice, and reads ``7e0`` as a number and never constructs NaN or infinity.

    The expanded size of every node is computed once, bottom-up, while composing (an alias
    reuses the size of its anchor), so an alias bomb is refused after composing a few hundred
    nodes, never expanded.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                # the anchor is still being composed: the alias is inside it (a: &a [*a])
                raise Refused(
                    f"the alias *{event.anchor} refers to a value that contains it (a "
                    "recursive structure); expand it by hand",
                    event.start_mark,
                )
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise Refused(
                    f"more than {MAX_YAML_ALIASES:,} aliases (*name); expand them or split "
                    "the file",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise Refused(
                f"nested more than {MAX_YAML_DEPTH} levels deep",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        node: yaml.Node | None = super().compose_node(parent, index)
        self._depth -= 1
        if node is not None and id(node) not in self._sizes:
            self._sizes[id(node)] = self._size(node)
        total = self._sizes.get(id(node), 0) if node is not None else 0
        if total > MAX_YAML_NODES:
            raise Refused(
                f"the document expands to more than {MAX_YAML_NODES:,} values (through "
                "anchors and aliases); a scenario or catalog needs far fewer",
                node.start_mark if node is not None else None,
            )
        return node

    def _size(self, node: yaml.Node) -> int:
        if isinstance(node, yaml.MappingNode):
            return 1 + sum(
                self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1) for k, v in node.value
            )
        if isinstance(node, yaml.SequenceNode):
            return 1 + sum(self._sizes.get(id(v), 1) for v in node.value)
        return 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # a tagged or implicit scalar PyYAML cannot convert (!!int abc, 2026-02-30, !!bool x)
        # raises a plain Python error from deep inside its constructors: refuse it here, at
        # the node, with its line
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
            raise Refused(_unreadable(node, exc), node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # !!map on a scalar or a list
            return super().construct_mapping(node, deep=deep)  # a ConstructorError
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                continue
            key = self.construct_object(key_node)
            try:
                first = seen.get(key)
            except TypeError:
                continue
            if first is not None:
                raise Refused(
                    f"key {key!r} is given twice (first on line {first.start_mark.line + 1}); "
                    "each key may appear once in a mapping",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = float(super().construct_yaml_float(node))
        if not math.isfinite(value):
            raise Refused(
                f"{node.value!r} is not a finite number; give a number (e.g. 1e6)",
                node.start_mark,
            )
        return value

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        if len(node.value) > MAX_YAML_INT_CHARS:
            raise Refused(
                f"an integer of {len(node.value):,} characters; a number here has at most "
                f"{MAX_YAML_INT_CHARS}",
                node.start_mark,
            )
        return int(super().construct_yaml_int(node))


_KINDS = {
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:timestamp": "a real date",
}


def _unreadable(node: yaml.Node, exc: Exception) -> str:
    what = _KINDS.get(node.tag, f"a value of the tag {node.tag!r}")
    value = node.value if isinstance(node, yaml.ScalarNode) else f"<{node.tag}>"
    dated = node.tag == "tag:yaml.org,2002:timestamp" and isinstance(exc, ValueError)
    detail = f" ({exc})" if dated else ""
    return f"{value!r} is not {what}{detail}; quote it to keep it as text"


def too_many_values(text: str) -> int | None:
    """The line where ``text`` passes MAX_YAML_NODES values (scalars, lists and mappings,
    before alias expansion), or None; a quick first pass in libyaml, so a flat list of a
    million numbers is refused in a fraction of a second, not after composing every node in
    Python. A document libyaml cannot parse is left to the loader, which reports the error."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:  # PyYAML without libyaml: the composer's own bound still holds
        return None
    count = 0
    nodes = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, nodes):
                count += 1
                if count > MAX_YAML_NODES:
                    return int(getattr(event.start_mark, "line", 0)) + 1
    except yaml.YAMLError:
        return None
    return None


BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
BoundedLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXP_FLOAT, list("-+0123456789"))
BoundedLoader.add_constructor("tag:yaml.org,2002:float", BoundedLoader.construct_yaml_float)


def walk_lines(node: yaml.Node, lines: dict[Loc, int]) -> None:
    """Record the line of every path; iterative, so deep documents cannot exhaust the stack,
    and each node (alias targets included) is visited once per path, within MAX_YAML_NODES."""
    stack: list[tuple[yaml.Node, Loc]] = [(node, ())]
    visited = 0
    while stack:
        current, path = stack.pop()
        visited += 1
        if visited > MAX_YAML_NODES:  # the composer bounds this; a second guard, never reached
            break
        lines.setdefault(path, current.start_mark.line + 1)
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                child = (*path, key)
                lines[child] = key_node.start_mark.line + 1
                stack.append((value_node, child))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                stack.append((item, (*path, index)))
