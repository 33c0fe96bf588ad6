"""What-if edits of a scenario before validation: ``--set KEY=VALUE`` and ``--slip OFFER:K``.

``KEY`` is a dotted path into the scenario file; list items of ``offers`` and ``workloads`` are
addressed by their ``id``/``name`` (``offers.aws-trn2-3y.max_chips=200000``), other lists by
index. ``VALUE`` is read as YAML (``0.5``, ``true``, ``[1, 2]``). ``--slip OFFER:K`` makes the
offer's deliveries (and terms) certainly ``K`` periods late (``delivery_risk.slip_prob=1``, ``slip_periods=K``).
An offer id may end in ``*`` to edit every matching offer.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Sequence
from typing import Any

from computebroker.errors import InputError

__all__ = ["apply_overrides", "parse_set", "parse_slip"]


def parse_set(text: str) -> tuple[str, Any]:
    """``key=value`` into (key, YAML-typed value).

    Examples
    --------
    >>> parse_set("policy.max_vendor_share=0.5")
    ('policy.max_vendor_share', 0.5)
    """
    if "=" not in text:
        raise InputError.single("<args>", f"--set needs KEY=VALUE, got {text!r}", field="--set")
    key, raw = text.split("=", 1)
    from computebroker.inputs import parse_yaml_text

    try:  # the same bounded, strict reader as the scenario file itself
        value = parse_yaml_text(raw, "--set").data
    except InputError as exc:
        if "not valid YAML" not in str(exc) or any(
            w in str(exc) for w in ("nested", "expands", "alias", "finite", "twice")
        ):
            raise InputError.single(
                "<args>", f"{key.strip()}: {exc.issues[0].message}", field="--set"
            ) from None
        value = raw  # not YAML: taken as a plain string
    return key.strip(), value


def parse_slip(text: str) -> list[tuple[str, Any]]:
    """``OFFER:K`` into the two ``--set`` edits it stands for.

    Examples
    --------
    >>> parse_slip("aws-trn2:2")
    [('offers.aws-trn2.delivery_risk.slip_prob', 1.0), ('offers.aws-trn2.delivery_risk.slip_periods', 2)]
    """
    if ":" not in text:
        raise InputError.single(
            "<args>", f"--slip needs OFFER:PERIODS, got {text!r}", field="--slip"
        )
    offer, k = text.rsplit(":", 1)
    try:
        periods = int(k)
    except ValueError:
        raise InputError.single(
            "<args>", f"--slip periods must be an integer, got {k!r}", field="--slip"
        ) from None
    return [
        (f"offers.{offer}.delivery_risk.slip_prob", 1.0),
        (f"offers.{offer}.delivery_risk.slip_periods", periods),
    ]


def _is_index(key: str) -> bool:
    """A list index written in ASCII digits: '²'.isdigit() is true, yet int('²') raises."""
    return key.isascii() and key.isdigit()


def _children(node: Any, key: str, source: str, path: str) -> list[Any]:
    if isinstance(node, list):
        if _is_index(key):
            i = int(key)
            if i >= len(node):
                raise InputError.single(
                    source, f"--set {path}: index {i} out of range ({len(node)} items)"
                )
            return [node[i]]
        found = [
            item
            for item in node
            if isinstance(item, dict)
            and any(fnmatch.fnmatchcase(str(item.get(f, "")), key) for f in ("id", "name"))
        ]
        if not found:
            names = [
                str(item.get("id") or item.get("name")) for item in node if isinstance(item, dict)
            ]
            raise InputError.single(
                source, f"--set {path}: no item with id or name {key!r}; have {', '.join(names)}"
            )
        return found
    if isinstance(node, dict):
        if key not in node:
            node[key] = {}
        return [node[key]]
    raise InputError.single(
        source, f"--set {path}: cannot descend into {type(node).__name__} at {key!r}"
    )


def apply_overrides(data: Any, edits: Sequence[tuple[str, Any]], source: str = "<scenario>") -> Any:
    """A copy of ``data`` with each edit applied in order."""
    out = copy.deepcopy(data)
    for path, value in edits:
        parts = [p for p in path.split(".") if p]
        if not parts:
            raise InputError.single(source, "--set needs a key")
        nodes = [out]
        for key in parts[:-1]:
            nodes = [child for n in nodes for child in _children(n, key, source, path)]
        last = parts[-1]
        for n in nodes:
            if isinstance(n, dict):
                n[last] = value
            elif isinstance(n, list) and _is_index(last) and int(last) < len(n):
                n[int(last)] = value
            else:
                raise InputError.single(
                    source, f"--set {path}: cannot set {last!r} on {type(n).__name__}"
                )
    return out
