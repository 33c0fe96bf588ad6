"""Every JSON route of the API declares what it answers: its success response in the OpenAPI
document has a schema naming fields (a model, a list of models, a union of those, or
primitives), never an empty or free-form object, so clients and schema-conformance fuzzing
have something to check against."""

from __future__ import annotations

from typing import Any

import pytest

from computebroker.service import create_app

# routes whose success answer is not JSON
NOT_JSON = {("get", "/v1/reports/{job_id}.html")}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    schema: dict[str, Any] = create_app("sqlite:///:memory:", workers=0).openapi()
    return schema


def _typed(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether ``schema`` names its fields (following ``$ref``, arrays and unions)."""
    if "$ref" in schema:
        return _typed(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return all(_typed(s, components) for s in schema[key])
    kind = schema.get("type")
    if kind == "array":
        return isinstance(schema.get("items"), dict) and _typed(schema["items"], components)
    if kind == "object" or kind is None:
        return bool(schema.get("properties"))
    return kind in {"string", "integer", "number", "boolean", "null"}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if (method, path) not in NOT_JSON
    ]


def test_every_json_route_declares_a_typed_response_schema(spec: dict[str, Any]) -> None:
    components = spec["components"]["schemas"]
    missing = []
    operations = _operations(spec)
    for method, path, op in operations:
        ok = [
            r for code, r in op["responses"].items() if code.startswith("2")
        ]  # the success answer(s)
        schemas = [r.get("content", {}).get("application/json", {}).get("schema") for r in ok]
        if not ok or not all(s and _typed(s, components) for s in schemas):
            missing.append(f"{method.upper()} {path}")
    assert len(operations) >= 25
    assert missing == []


def test_the_check_catches_an_untyped_route() -> None:
    """The check itself: a free-form dict answer (what several routes declared before) fails."""
    components: dict[str, Any] = {"M": {"type": "object", "properties": {"a": {"type": "string"}}}}
    assert _typed({"$ref": "#/components/schemas/M"}, components)
    assert _typed({"type": "array", "items": {"type": "string"}}, components)
    assert not _typed({"type": "object", "additionalProperties": True}, components)
    assert not _typed({"type": "array", "items": {"type": "object"}}, components)
    assert not _typed({}, components)
    assert not _typed(
        {"anyOf": [{"$ref": "#/components/schemas/M"}, {"type": "object"}]}, components
    )


@pytest.fixture
def api(db_url: str) -> Any:
    from fastapi.testclient import TestClient

    from tests.servers import team_tokens

    (ta,) = team_tokens(db_url, "alpha")
    with TestClient(create_app(db_url, workers=0)) as client:
        yield client, {"Authorization": f"Bearer {ta}"}, db_url


def test_typed_routes_answer_the_same_json_as_before(api: Any) -> None:
    """The models keep each answer's keys: a finished plan's report JSON is its stored plan
    document, key for key (the plan route sends the same document); the catalog rows, the
    offers and a scenario check carry exactly the keys they always had."""
    from computebroker.store import close_store, open_store, repo
    from tests.sim.test_inputs import _offer, plan_json

    client, a, url = api
    doc = plan_json(
        [_offer("c", "h100", "commit-1y", 2.5)],
        [{"offer": "c", "start_index": 0, "chips": 16.0, "term_periods": 3}],
    )
    factory = open_store(url)
    with factory.begin() as s:
        team = repo.team_for_token(s, a["Authorization"].split()[1])
        assert team is not None
        job = repo.create_job(s, team.id, "plan", {})
        repo.set_job(s, job.id, status="done", result=doc)
        jid = job.id
    close_store(factory)
    report = client.get(f"/v1/reports/{jid}.json", headers=a)
    assert report.status_code == 200, report.text
    assert report.json() == doc == client.get(f"/v1/plans/{jid}", headers=a).json()
    acc = client.get("/v1/catalog/accelerators", headers=a).json()[0]
    assert set(acc) == {"id", "vendor", "bf16_tflops", "hbm_gib", "source"}
    off = client.get("/v1/catalog/offerings?accelerator=h100&limit=1", headers=a).json()[0]
    assert set(off) == {
        "id", "provider", "region", "accelerator", "contract", "price_chip_hour",
        "price_pflop_hour", "source", "as_of",
    }  # fmt: skip
    bad = client.post("/v1/scenarios/validate", json={"name": "x", "yaml": "a: 1"}, headers=a)
    assert bad.status_code == 200 and set(bad.json()) == {"ok", "detail"}
    assert bad.json()["ok"] is False and bad.json()["detail"][0]["msg"]
    saved = client.post("/v1/offers", json={"name": "ours", "yaml": "offerings: []"}, headers=a)
    assert saved.status_code == 201 and saved.json() == {"name": "ours", "offerings": 0, "deals": 0}
    (listed,) = client.get("/v1/offers", headers=a).json()
    assert set(listed) == {"name", "created_at"}


def test_the_wire_names_every_price_covers_value() -> None:
    from typing import get_args

    from computebroker.catalog import PriceCovers
    from computebroker.service.schemas import UnrentableOut

    wire = get_args(UnrentableOut.model_fields["price_covers"].annotation)
    assert set(wire) == {m.value for m in PriceCovers}
