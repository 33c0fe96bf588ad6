"""Domain types of the catalog: what chips exist, who sells them, on what terms.

All are frozen, slotted, keyword-only dataclasses with units in field names. Prices are USD.
An :class:`Offering` is one purchasable instance shape in one region of one cloud (its
``price_covers`` says whether the price is the whole instance's, or only the accelerators' — GCP's
attachable GPUs, whose host VM, a :class:`HostVm`, is billed apart — or one chip's of an
instance whose shape the source does not state); a
:class:`ContractTerm` is a published discount for committing to a provider for a term; a
:class:`Deal` is a user's own negotiated contract (price per chip-hour, quantities, delivery).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Accelerator",
    "ContractKind",
    "ContractQuote",
    "ContractTerm",
    "Deal",
    "DeliveryStep",
    "HostVm",
    "Offering",
    "OfferingQuote",
    "PriceCovers",
]


class ContractKind(StrEnum):
    """How compute is bought. ``term_hint_months`` gives the usual term of each kind."""

    ON_DEMAND = "on-demand"
    SPOT = "spot"
    COMMIT_1Y = "commit-1y"
    COMMIT_3Y = "commit-3y"
    CAPACITY_BLOCK = "capacity-block"
    DEAL = "deal"

    @property
    def is_commitment(self) -> bool:
        """True for kinds decided ahead of time and paid whether used or not."""
        return self in _COMMITTED

    @property
    def term_hint_months(self) -> float:
        """The usual contract term; on-demand and spot have no term (0)."""
        return _TERM_HINT_MONTHS[self]


_COMMITTED = frozenset(
    {ContractKind.COMMIT_1Y, ContractKind.COMMIT_3Y, ContractKind.CAPACITY_BLOCK, ContractKind.DEAL}
)
_TERM_HINT_MONTHS: dict[ContractKind, float] = {
    ContractKind.ON_DEMAND: 0.0,
    ContractKind.SPOT: 0.0,
    ContractKind.COMMIT_1Y: 12.0,
    ContractKind.COMMIT_3Y: 36.0,
    # AWS capacity blocks run 1 day to 182 days (docs.aws.amazon.com capacity-blocks-purchase).
    ContractKind.CAPACITY_BLOCK: 0.5,
    ContractKind.DEAL: 12.0,
}


class PriceCovers(StrEnum):
    """What an offering's price pays for."""

    INSTANCE = "instance"  # the whole instance: rentable at that price
    ACCELERATOR = "accelerator"  # only the accelerators; the host VM is billed apart (GCP N1/G2)
    CHIP = "chip"  # one chip of an instance whose shape (chips per instance) is not stated

    @property
    def meaning(self) -> str:
        """A phrase for messages: what the price leaves out."""
        return _PRICE_COVERS_MEANING[self]


_PRICE_COVERS_MEANING: dict[PriceCovers, str] = {
    PriceCovers.INSTANCE: "the whole instance",
    PriceCovers.ACCELERATOR: "the accelerators only; the host VM is billed apart",
    PriceCovers.CHIP: "one chip of an instance whose shape the source does not state",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Accelerator:
    """Per-chip specification. ``None`` means the value was not found in a source.

    ``cores_per_chip`` records vendor counting conventions: TPU v2-v5p and TPU7x slice names
    count TensorCores (2 per chip), Trainium parallel degrees count NeuronCores.
    Bandwidths are per chip in Gbit/s, aggregate (bidirectional) as vendors quote them.
    """

    id: str
    name: str
    vendor: str
    bf16_tflops: float | None
    fp8_tflops: float | None
    hbm_gib: float | None
    hbm_tbps: float | None
    scale_up_chips: int | None
    scale_up_gbps: float | None
    scale_out_gbps: float | None
    tdp_w: float | None
    cores_per_chip: int = 1
    core_name: str = "GPU"
    aliases: tuple[str, ...] = ()
    assumed: str = ""
    source: str = ""
    as_of: str = ""
    notes: str = ""
    private: bool = False

    @property
    def bf16_pflops(self) -> float | None:
        """Peak dense bf16 PFLOP/s per chip."""
        return None if self.bf16_tflops is None else self.bf16_tflops / 1000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Offering:
    """One instance shape sold by a cloud in a region; prices are per whole instance-hour."""

    id: str
    cloud: str
    region: str
    instance_type: str
    accelerator: str
    chips: int
    vcpus: float | None = None
    memory_gib: float | None = None
    price_hour: float | None = None
    spot_price_hour: float | None = None
    price_covers: PriceCovers = PriceCovers.INSTANCE
    source: str = ""
    as_of: str = ""
    notes: str = ""
    private: bool = False

    @property
    def price_chip_hour(self) -> float | None:
        """On-demand USD per chip-hour (of what ``price_covers`` says the price pays for).

        Examples
        --------
        >>> Offering(id="x", cloud="aws", region="r", instance_type="p5.48xlarge",
        ...          accelerator="h100", chips=8, price_hour=55.04).price_chip_hour
        6.88
        """
        return None if self.price_hour is None else self.price_hour / self.chips

    @property
    def spot_price_chip_hour(self) -> float | None:
        """Spot USD per chip-hour."""
        return None if self.spot_price_hour is None else self.spot_price_hour / self.chips


@dataclass(frozen=True, slots=True, kw_only=True)
class HostVm:
    """A VM shape that accelerators priced on their own are attached to (GCP's N1 for T4, V100,
    P100 and P4; G2 for L4): its price per hour in a region, without the accelerators."""

    cloud: str
    region: str
    instance_type: str
    vcpus: float
    memory_gib: float
    price_hour: float
    spot_price_hour: float | None = None
    source: str = ""
    as_of: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferingQuote:
    """An offering with its prices normalised per chip-hour and per peak bf16 PFLOP-hour."""

    offering: Offering
    accelerator: Accelerator
    price_chip_hour: float | None
    spot_price_chip_hour: float | None
    price_pflop_hour: float | None
    spot_price_pflop_hour: float | None
    # what a chip-hour costs to rent (catalog.rental): the row's price per chip, plus its share
    # of the host VM where the row prices the accelerators alone; None: no price, or no host
    # VM price completes it
    rent_chip_hour: float | None = None
    spot_rent_chip_hour: float | None = None
    price_includes_host: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractTerm:
    """A published commitment discount: ``discount`` is the fraction off on-demand."""

    provider: str
    accelerators: str  # fnmatch pattern over canonical accelerator ids ("*", "tpu-*")
    kind: ContractKind
    term_months: float
    discount: float
    confidence: str
    source: str
    as_of: str
    notes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryStep:
    """From ``start`` (a period label such as ``2026Q3`` or a date) ``chips`` are usable."""

    start: str
    chips: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Deal:
    """A negotiated contract from a user file: fixed price per chip-hour over a term."""

    id: str
    provider: str
    accelerator: str
    region: str
    price_chip_hour: float
    term_months: float
    min_chips: int
    max_chips: int
    delivery: tuple[DeliveryStep, ...] = ()
    source: str = ""
    as_of: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractQuote:
    """What one chip-hour costs from one provider under one kind of contract."""

    provider: str
    region: str
    accelerator: str
    kind: ContractKind
    price_chip_hour: float
    term_months: float
    basis: str  # the offering id or deal id the price derives from
    source: str
    confidence: str = "primary"
    # what the price is made of (catalog.rental: e.g. the GPUs plus their host VM), and whether
    # it adds a host VM to accelerators the catalog prices alone (GCP's N1/G2 GPUs)
    price_basis: str = ""
    price_includes_host: bool = False
