"""The named stress cases of a planned fleet: every seller of the chip the plan leans on delivers
two periods late together (the chip-wide common slip of issue 14, scored in expectation by
:func:`computebroker.planner.stress.chip_stress`); the largest vendor delivers two periods late;
the region holding the most committed chips goes down for a week mid-horizon."""

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
    common_slip: tuple[str, tuple[str, ...]] | None = None,
    *,
    chip_has_existing: bool = False,
) -> list[tuple[str, str, list[FaultSpec]]]:
    """The named stress cases of a planned fleet: every seller of ``common_slip``'s chip
    (:func:`~computebroker.planner.stress.common_slip_chip`) delivers two periods late together;
    the largest vendor (by share of committed spend) delivers two periods late; the region
    holding the most committed chips is down for a week from mid-horizon. (name, description,
    faults) each. The chip-wide slip delays the chip's first-period deliveries too, unless
    ``chip_has_existing`` (contracts already signed never slip: then the first period stays)."""
    hours = hours_per_period
    cases: list[tuple[str, str, list[FaultSpec]]] = []
    if common_slip is not None:
        chip, sellers = common_slip
        start = 1e-6 if chip_has_existing else 0.0
        kept = (
            "capacity already delivered at the start stays"
            if chip_has_existing
            else ("the first period's deliveries included")
        )
        cases.append(
            (
                f"every {chip.upper()} seller two periods late",
                f"every delivery of {chip} from all its sellers ({', '.join(sellers)}) arrives "
                f"{2 * hours:,.0f} hours late, together ({kept})",
                [
                    FaultSpec(
                        kind=FaultKind.SLIP, accelerator=chip, start_h=start, delay_h=2 * hours
                    )
                ],
            )
        )
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
