"""The named stress cases of a planned fleet: the largest vendor delivers two periods late; the
region holding the most committed chips goes down for a week mid-horizon."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from computebroker.sim.faults import FaultKind, FaultSpec
from computebroker.sim.fleet import Fleet
from computebroker.units import HOURS_PER_WEEK

__all__ = ["stress_cases"]


def stress_cases(
    fleet: Fleet,
    vendor_shares: Mapping[str, float],
    hours_per_period: float,
    periods: Sequence[str],
) -> list[tuple[str, str, list[FaultSpec]]]:
    """The named stress cases of a planned fleet: the largest vendor (by share of committed
    spend) delivers two periods late; the region holding the most committed chips is down for a
    week from mid-horizon. (name, description, faults) each."""
    hours = hours_per_period
    cases: list[tuple[str, str, list[FaultSpec]]] = []
    if vendor_shares:
        vendor = max(vendor_shares, key=lambda v: vendor_shares[v])
        cases.append(
            (
                f"{vendor} two periods late",
                f"every new delivery from {vendor} (the largest vendor, {vendor_shares[vendor]:.0%} of committed spend) "
                f"arrives {2 * hours:,.0f} hours late; capacity already delivered stays",
                [FaultSpec(kind=FaultKind.SLIP, provider=vendor, start_h=1e-6, delay_h=2 * hours)],
            )
        )
    by_region: dict[str, int] = {}
    for p in fleet.pools:
        if p.view.committed and p.view.region != "any":
            by_region[p.view.region] = by_region.get(p.view.region, 0) + p.max_chips
    if by_region:
        region = max(by_region, key=lambda r: by_region[r])
        mid = len(periods) // 2
        cases.append(
            (
                f"{region} down for a week",
                f"region {region} ({by_region[region]:,} committed chips at peak) is out for {HOURS_PER_WEEK:.0f} hours from "
                f"{periods[mid]}; jobs lose work since their last checkpoint",
                [
                    FaultSpec(
                        kind=FaultKind.OUTAGE,
                        region=region,
                        start_h=mid * hours,
                        duration_h=HOURS_PER_WEEK,
                        restart_s=1800.0,
                    )
                ],
            )
        )
    return cases
