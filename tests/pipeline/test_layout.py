"""The workflow and service packages show their surface: each pins its ``__all__``."""

from __future__ import annotations

from computebroker import service, workflow


def test_workflow_all() -> None:
    assert sorted(workflow.__all__) == [
        "DEFAULT_OUT_OF_SAMPLE",
        "JobStreamOptions",
        "PlanRun",
        "PlanRunOptions",
        "Realised",
        "RunOptions",
        "RunResult",
        "SimCase",
        "WhatIf",
        "WhatIfRun",
        "demand_trace",
        "no_plan_error",
        "offers_in_play",
        "plan_run",
        "price_performance",
        "realise",
        "run_pipeline",
        "stress_cases",
    ]
    for name in workflow.__all__:
        assert hasattr(workflow, name), name


def test_service_all() -> None:
    assert service.__all__ == ["create_app"]
