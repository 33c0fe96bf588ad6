"""The hostile-input corpus of the HTTP API: bad request bodies, each with the route that reads
it and the status it must answer. The runner (test_http.py) checks for each case: the status,
that the answer conforms to the route's declared response schema (schemathesis), that no
traceback or internals escaped, that nothing was stored or queued, and that it was quick.

The YAML garbage of the CLI corpus (:data:`tests.hostile.corpus.YAML_GARBAGE`) goes through every
route that reads YAML; the other cases are faults the fuzz tests (tests/service/test_fuzz.py)
found, kept here as regressions, and the hostile bodies of issue 18.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.hostile.corpus import YAML_GARBAGE

__all__ = ["HTTP_CASES", "HttpCase"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpCase:
    """One hostile request (the body is sent as these exact bytes, as JSON)."""

    id: str
    method: str = "POST"
    route: str  # the OpenAPI path template
    path_parameters: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    status: int = 422
    expect: tuple[str, ...] = ()  # words the answer must contain (case-insensitive)


def _json(value: Any) -> bytes:
    """JSON as a client that escapes lone surrogates sends it."""
    return json.dumps(value).encode()


def _text(content: str | bytes) -> str:
    # raw bytes reach a JSON string only as lone surrogates (which the schemas refuse)
    return content if isinstance(content, str) else content.decode("utf-8", "surrogateescape")


_YAML_ROUTES: dict[str, tuple[str, dict[str, Any]]] = {
    "scenario": ("/v1/scenarios", {"name": "s"}),
    "scenario-check": ("/v1/scenarios/validate", {"name": "s"}),
    "offers": ("/v1/offers", {"name": "o"}),
    "matrix": ("/v1/matrices", {"accelerators": ["h100"]}),
}


def _status(route: str, name: str, content: str | bytes) -> int:
    if name == "huge":
        return 413  # over the route's body limit: refused before it is parsed
    if route == "/v1/scenarios/validate":  # a check answers 200 {ok: false}, or 422 for the body
        return 422 if isinstance(content, bytes) or not content or "\x00" in content else 200
    return 422


def _yaml_cases() -> list[HttpCase]:
    return [
        HttpCase(
            id=f"http-{kind}-yaml-{name}",
            route=route,
            body=_json({**fields, "yaml": _text(content)}),
            status=_status(route, name, content),
        )
        for kind, (route, fields) in _YAML_ROUTES.items()
        for name, (content, _) in YAML_GARBAGE.items()
    ]


# found by the fuzz: a 422 raised from an InputError lacked the "type" its declared schema
# (FastAPI's HTTPValidationError) requires
FOUND_CASES = [
    HttpCase(
        id="http-matrix-unknown-accelerator",
        route="/v1/matrices",
        body=_json(
            {
                "yaml": "workloads:\n  - {name: ft, model: llama3.1-8b, mode: train, chips: 64}\n",
                "accelerators": ["\x19X\U0009401a"],
            }
        ),
        expect=("unknown accelerator",),
    ),
    # found by fuzz2: an unknown chip in an explicit throughput named no field
    HttpCase(
        id="http-matrix-throughput-unknown-accelerator",
        route="/v1/matrices",
        body=_json(
            {
                "yaml": "workloads:\n  - {name: t, model: llama3-8b, mode: train, throughput: {h1000: 5}}\n",
                "accelerators": ["h100"],
            }
        ),
        expect=("workloads[0].throughput.h1000", "did you mean"),
    ),
    HttpCase(
        id="http-scenario-bad-period",
        route="/v1/scenarios",
        body=_json({"name": "bad", "yaml": "name: x\nhorizon: {start: 2026Q1, periods: 0}\n"}),
        expect=("horizon.periods",),
    ),
    HttpCase(
        id="http-offers-bad-row",
        route="/v1/offers",
        body=_json({"name": "acme", "yaml": "offerings:\n  - cloud: acme\n    chips: -1\n"}),
    ),
    HttpCase(
        id="http-simulation-neither-fleet-nor-plan",
        route="/v1/simulations",
        body=_json({"trace": "gavel:max_min_fairness", "throughputs": "gavel"}),
        expect=("fleet",),
    ),
    HttpCase(
        id="http-simulation-unknown-policy",
        route="/v1/simulations",
        body=_json({"fleet": "v100=8", "throughputs": "gavel", "policy": "fifa"}),
        expect=("did you mean",),
    ),
    HttpCase(
        id="http-simulation-bad-fleet",
        route="/v1/simulations",
        body=_json({"fleet": "v100=-8,,=", "throughputs": "gavel"}),
    ),
]

_HUGE_INT = "9" * 5000
_SCENARIO_HEAD = "name: x\nhorizon: {start: 2026Q1, periods: 4, period: quarter}\n"

# the hostile bodies of issue 18: lone surrogates, NaN, deep nesting, huge integers, NUL bytes
ISSUE_CASES = [
    HttpCase(id="http-plan-nan", route="/v1/plans", body=b'{"scenario": "a", "seed": NaN}'),
    HttpCase(
        id="http-plan-huge-int",
        route="/v1/plans",
        body=b'{"scenario": "a", "seed": ' + _HUGE_INT.encode() + b"}",
        status=400,  # the JSON parser refuses it: too many digits to convert
    ),
    HttpCase(id="http-plan-nul", route="/v1/plans", body=b'{"scenario": "a\\u0000b"}'),
    HttpCase(
        id="http-plan-deep-json", route="/v1/plans", body=b"[" * 10_000 + b"]" * 10_000, status=400
    ),
    HttpCase(id="http-plan-not-json", route="/v1/plans", body=b"{not json"),
    HttpCase(
        id="http-plan-unknown-field", route="/v1/plans", body=_json({"scenario": "a", "x": 1})
    ),
    HttpCase(
        id="http-scenario-surrogate-name",
        route="/v1/scenarios",
        body=b'{"name": "a\\ud800", "yaml": "x: 1"}',
    ),
    HttpCase(
        id="http-scenario-yaml-huge-int",
        route="/v1/scenarios",
        body=_json({"name": "s", "yaml": _SCENARIO_HEAD + f"scenarios: {{count: {_HUGE_INT}}}\n"}),
        expect=("an integer of 5,000 characters",),  # was a 500 (found by this corpus)
    ),
    HttpCase(
        id="http-scenario-yaml-huge-seed",
        route="/v1/scenarios",
        body=_json(
            {"name": "s", "yaml": _SCENARIO_HEAD + "scenarios: {seed: 1" + "0" * 40 + "}\n"}
        ),
    ),
    HttpCase(
        id="http-placement-infinity",
        route="/v1/placements",
        body=b'{"jobs": [{"id": "j", "job_type": "t", "work": Infinity}]}',
    ),
    HttpCase(id="http-token-nul-name", route="/v1/tokens", body=b'{"name": "a\\u0000"}'),
]

# found by the simulate/place campaign (tests/hostile/simulate_place.py): each was queued (202)
# to fail in the worker, or answered 200 with no placement, where the CLI refuses it
_SIM = {"fleet": "v100=8", "throughputs": "gavel"}
SIM_PLACE_CASES = [
    HttpCase(
        id="http-simulation-fleet-not-in-gavel",
        route="/v1/simulations",
        body=_json({**_SIM, "fleet": "h100=8", "generate": 3}),
        expect=("no throughput for accelerator(s) h100",),
    ),
    HttpCase(
        id="http-simulation-trace-and-generate",
        route="/v1/simulations",
        body=_json({**_SIM, "generate": 3, "trace": "gavel:max_min_fairness"}),
        expect=("not both",),
    ),
    HttpCase(
        id="http-simulation-span-past-bound",
        route="/v1/simulations",
        body=_json({**_SIM, "generate": 100_000, "arrival_rate": 1e-300}),
        expect=("arrival_rate",),
    ),
    HttpCase(
        id="http-simulation-no-plan-job",
        route="/v1/simulations",
        body=_json({"plan_job": "nope", "generate": 3, "throughputs": "gavel"}),
        expect=("no plan job 'nope'",),
    ),
    HttpCase(
        id="http-placement-cloud-typo",
        route="/v1/placements",
        body=_json({"accelerator": "h100", "chips": 8, "clouds": ["asw"]}),
        expect=("did you mean 'aws'",),
    ),
    HttpCase(
        id="http-placement-region-unknown",
        route="/v1/placements",
        body=_json({"accelerator": "h100", "chips": 8, "regions": ["mars-1"]}),
        expect=("unknown region 'mars-1'",),
    ),
]

HTTP_CASES: list[HttpCase] = [*_yaml_cases(), *FOUND_CASES, *ISSUE_CASES, *SIM_PLACE_CASES]
