"""The wire schema of a simulation's report names only fields the report has: ``SimulationOut``
(service/schemas.py) declares the headline fields of ``sim.SimReport`` (the rest pass through,
``extra="allow"``) plus what a plan's simulation job adds, so a report field renamed without
the schema would be declared yet never sent."""

from __future__ import annotations

import dataclasses

from computebroker.service.schemas import SimulationOut
from computebroker.sim import SimReport

ADDED_BY_THE_JOB = {"against_plan", "fault_effects"}  # a plan's fleet run (service/jobs)


def test_every_field_the_schema_declares_is_a_report_field() -> None:
    report = {f.name for f in dataclasses.fields(SimReport)}
    declared = set(SimulationOut.model_fields) - ADDED_BY_THE_JOB
    assert declared <= report, sorted(declared - report)
