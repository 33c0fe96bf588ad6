"""Shared hypothesis strategies for computebroker's domain types."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from computebroker.perf.models import ModelKind, ModelSpec


@st.composite
def dense_models(draw: st.DrawFn) -> ModelSpec:
    """Small-to-large dense decoders with consistent shapes."""
    heads = draw(st.sampled_from([8, 16, 32, 64]))
    head_dim = draw(st.sampled_from([64, 128]))
    kv = draw(st.sampled_from([h for h in (1, 2, 4, 8, heads) if heads % h == 0]))
    hidden = heads * head_dim
    return ModelSpec(
        name="hyp-dense",
        kind=ModelKind.DENSE,
        layers=draw(st.integers(4, 96)),
        hidden=hidden,
        heads=heads,
        kv_heads=kv,
        ffn_hidden=draw(st.sampled_from([2, 3, 4])) * hidden,
        vocab=draw(st.sampled_from([32000, 128256])),
        seq_len=draw(st.sampled_from([2048, 4096, 8192])),
        gated_mlp=draw(st.booleans()),
    )


# --- scheduler / simulator ---------------------------------------------------------------------

SIM_ACCS = ("x", "y", "z")
SIM_TYPES = ("a", "b", "c")


@st.composite
def sim_cases(draw: st.DrawFn) -> tuple[object, object, object, str]:
    """(fleet, trace, table, policy) small enough to simulate in milliseconds."""
    from computebroker.scheduler import SimJob, ThroughputTable
    from computebroker.scheduler.types import PoolView
    from computebroker.sim import Trace
    from computebroker.sim.fleet import Fleet, Pool

    pools = []
    for acc in draw(st.lists(st.sampled_from(SIM_ACCS), min_size=1, max_size=3, unique=True)):
        steps = [(0.0, draw(st.integers(1, 8)))]
        if draw(st.booleans()):
            steps.append((draw(st.floats(10.0, 500.0)), draw(st.integers(0, 8))))
        pools.append(
            Pool(
                view=PoolView(name=acc, accelerator=acc, price_chip_hour=draw(st.floats(0.0, 5.0))),
                steps=steps,
            )
        )
    rates = {
        (jt, acc): draw(st.floats(0.1, 5.0))
        for jt in SIM_TYPES
        for acc in SIM_ACCS
        if draw(st.integers(0, 4)) > 0
    }
    table = ThroughputTable(per_chip=rates, unit="u")
    jobs = []
    for i in range(draw(st.integers(1, 12))):
        allowed = draw(st.none() | st.sets(st.sampled_from(SIM_ACCS), min_size=1).map(frozenset))
        jobs.append(
            SimJob(
                id=f"j{i}",
                job_type=draw(st.sampled_from(SIM_TYPES)),
                arrival=draw(st.floats(0.0, 300.0)),
                work=draw(st.floats(1.0, 500.0)),
                chips=draw(st.integers(1, 4)),
                weight=draw(st.sampled_from([1.0, 2.0])),
                allowed=allowed,
                checkpoint_s=draw(st.floats(5.0, 100.0)),
            )
        )
    jobs.sort(key=lambda j: j.arrival)
    jobs = [replace(j, index=i) for i, j in enumerate(jobs)]
    from computebroker.scheduler import policy_names

    policy = draw(st.sampled_from(policy_names()))
    return (
        Fleet(pools=pools),
        Trace(jobs=jobs, source="hypothesis", format="test", demand={}),
        table,
        policy,
    )
