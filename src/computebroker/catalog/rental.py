"""What renting an offering costs, all in: the one place a catalog row becomes a rentable price.

A row's price pays for what its ``price_covers`` says:

* ``instance``: the whole instance; that is the rental price.
* ``accelerator`` (GCP's attachable T4, V100, P100, P4 and L4): the GPUs only. The instance is
  the GPUs plus the host VM SkyPilot's rule picks for them (``catalog.hosts.default_host``),
  so the rental price is the sum, and per GPU-hour it is ``(GPUs + host) / GPUs``: an
  ``n1-highmem-8`` host of 2 T4s adds half its price to each T4-hour. A row without a host
  price that fits (none in its region, or no spot price of one for a spot rental) has no
  rental price: it is :class:`NotRentable`, with the reason, never priced as the GPUs alone.
* ``chip``: one chip's price of an instance whose shape the source does not state; per
  chip-hour that price is the chip's all-in rental price (the neoclouds' per-GPU list prices),
  but no instance can be priced from it (placement's concern, not this module's).

Placement (``scheduler.placement``), the planner's catalog prices and ``estimate``'s costs
(``catalog.contract_quotes``) all read this module, so a GPU-only row is never cheaper in
one than in another.

Pure: host rows and an offering in, a price (or the reason there is none) out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from computebroker.catalog.hosts import default_host
from computebroker.catalog.types import HostVm, Offering, PriceCovers

__all__ = ["NotRentable", "Rental", "rental"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rental:
    """One instance of ``offering`` rented by the hour (spot: at spot prices), all in.

    ``price_hour`` is the row's own price; ``host``/``host_price_hour`` the host VM added to it
    where the row prices the accelerators alone."""

    offering: Offering
    spot: bool
    price_hour: float
    host: HostVm | None = None
    host_price_hour: float | None = None

    @property
    def instance_hour(self) -> float:
        """USD per instance-hour: the row's price plus its host VM's (for a ``chip`` row, the
        one chip its price covers)."""
        return self.price_hour + (self.host_price_hour or 0.0)

    @property
    def chip_hour(self) -> float:
        """USD per chip-hour, all in: the instance price over its chips (a ``chip`` row's price
        is already one chip's).

        Examples
        --------
        >>> from computebroker.catalog import shipped_catalog
        >>> cat = shipped_catalog()
        >>> t4 = next(o for o in cat.offerings if o.id == "gcp/us-central1/n1-* + T4 "
        ...           "(accelerator component only)/2")
        >>> r = rental(cat.hosts, t4)
        >>> r.host.instance_type, r.price_hour, r.host_price_hour  # 2 T4s on an n1-highmem-8
        ('n1-highmem-8', 0.7, 0.47321)
        >>> round(r.chip_hour, 6)  # (0.70 + 0.47321) / 2
        0.586605
        """
        if self.offering.price_covers is PriceCovers.CHIP:
            return self.price_hour
        return self.instance_hour / self.offering.chips

    @property
    def includes_host(self) -> bool:
        """True when the price adds a host VM to accelerators priced alone."""
        return self.host is not None

    @property
    def basis(self) -> str:
        """What the price is made of, for a ``price_basis`` column."""
        o = self.offering
        if self.host is None:
            if o.price_covers is PriceCovers.CHIP:
                return "one chip's published price (instance shape not stated)"
            return "the whole instance's price"
        kind = "spot " if self.spot else ""
        return (
            f"{o.chips} x {o.accelerator} {kind}${self.price_hour:,.6g}/h + host VM "
            f"{self.host.instance_type} {kind}${self.host_price_hour:,.6g}/h "
            f"(host_vms.csv {self.host.region}), over {o.chips} chips"
        )

    @property
    def source(self) -> str:
        """The row's source, and the host VM row's where one is added."""
        if self.host is None:
            return self.offering.source
        return f"{self.offering.source}; host VM {self.host.instance_type}: {self.host.source}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NotRentable:
    """A priced row of accelerators sold without their host VM, for which no host VM price
    completes the instance (spot: no spot price of one), and the reason."""

    offering: Offering
    spot: bool
    reason: str


def rental(
    hosts: Sequence[HostVm], offering: Offering, *, spot: bool = False
) -> Rental | NotRentable | None:
    """What one instance of ``offering`` costs per hour, all in (see the module docstring);
    :class:`NotRentable` when the row prices the accelerators alone and no host VM price
    completes it; None when the row has no price (spot: no spot price) to rent at."""
    o = offering
    price = o.spot_price_hour if spot else o.price_hour
    if price is None or price <= 0:
        return None
    if o.price_covers is not PriceCovers.ACCELERATOR:
        return Rental(offering=o, spot=spot, price_hour=price)
    host = default_host(tuple(hosts), o, spot=spot)
    if host is None:
        kind = "spot " if spot else ""
        return NotRentable(
            offering=o,
            spot=spot,
            reason=(
                f"its {kind}price (${price:,.2f}/h) covers {o.price_covers.meaning}, and the "
                f"catalog has no {kind}price for a host VM that fits {o.chips} x "
                f"{o.accelerator} in {o.cloud}/{o.region}"
            ),
        )
    host_price = (
        host.spot_price_hour if spot and host.spot_price_hour is not None else host.price_hour
    )
    return Rental(offering=o, spot=spot, price_hour=price, host=host, host_price_hour=host_price)
