"""The published schemas the hand-off exports are checked against (see fixtures/README.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

FIXTURES = Path(__file__).parent / "fixtures"


def strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` on every object that lists its
    properties and says nothing of others: the API server's strict field validation."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


@cache
def kueue_schemas() -> dict[str, Any]:
    """Kueue v1beta1 openAPIV3Schema by kind, made strict."""
    data = yaml.safe_load((FIXTURES / "kueue-v1beta1-openapi.yaml").read_text())
    return {kind: strict(s) for kind, s in data.items()}


def kueue_errors(manifest: dict[str, Any]) -> list[str]:
    """Every way ``manifest`` breaks its kind's schema (and the CEL rule on flavors' resources)."""
    schema = kueue_schemas()[manifest["kind"]]
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
    for g in manifest.get("spec", {}).get("resourceGroups", []):
        # CEL: self.flavors.all(x, size(x.resources) == size(self.coveredResources))
        if any(len(f["resources"]) != len(g["coveredResources"]) for f in g["flavors"]):
            errors.append("flavors must have the same number of resources as the coveredResources")
    return errors


def _case_insensitive_enum(
    _v: Any, enums: list[str], instance: Any, _s: Any
) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, str) and instance.lower() not in [e.lower() for e in enums]:
        yield jsonschema.ValidationError(f"{instance!r} is not one of {enums!r}")


def _case_sensitive_enum(
    _v: Any, enums: list[str], instance: Any, _s: Any
) -> Iterator[jsonschema.ValidationError]:
    if instance not in enums:
        yield jsonschema.ValidationError(f"{instance!r} is not one of {enums!r}")


# SkyPilot's validator: Draft 7 with its two enum keywords (sky/utils/validator.py);
# ``extend`` is untyped in types-jsonschema, so it is called through ``Any``
_extend: Any = jsonschema.validators.extend
SkyValidator: type[jsonschema.protocols.Validator] = _extend(
    jsonschema.Draft7Validator,
    validators={
        "case_insensitive_enum": _case_insensitive_enum,
        "case_sensitive_enum": _case_sensitive_enum,
    },
)


@cache
def skypilot_schemas() -> dict[str, Any]:
    """SkyPilot 0.14.1's task and resources schemas."""
    data: dict[str, Any] = json.loads((FIXTURES / "skypilot-0.14.1-task-schema.json").read_text())
    return data


def skypilot_errors(task: dict[str, Any]) -> list[str]:
    """Every way ``task`` breaks SkyPilot's task schema, or its resources the resources one."""
    s = skypilot_schemas()
    errors = [e.message for e in SkyValidator(s["task"]).iter_errors(task)]
    if isinstance(task.get("resources"), dict):
        errors += [e.message for e in SkyValidator(s["resources"]).iter_errors(task["resources"])]
    return errors
