"""File schemas of the catalog (pydantic, edge only): shipped CSV snapshot and user files.

Versioning: the shipped snapshot carries ``schema_version`` in ``data/MANIFEST.json``; a new
required column or a changed meaning bumps it. User files may add optional keys in minor
releases; unknown keys are rejected so that typos are caught.

Each row model validates one record and converts it to a frozen domain type with ``to_domain``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from computebroker.catalog.types import (
    Accelerator,
    ContractKind,
    ContractTerm,
    Deal,
    DeliveryStep,
    HostVm,
    Offering,
    PriceCovers,
)
from computebroker.inputs import NumbersNotBools

__all__ = [
    "AcceleratorRow",
    "ContractTermRow",
    "DealRow",
    "HostVmRow",
    "OfferingRow",
    "UserCatalogFile",
    "UserOfferingRow",
]

NonNegFloat = Annotated[float, Field(ge=0)]
PosFloat = Annotated[float, Field(gt=0)]

# Bounds, so a typo is refused: an instance of at most 100,000 chips (the largest sold as one
# unit, a TPU Ironwood pod, has 9,216); a price per chip-hour at most $1,000 (50x the dearest
# shipped on-demand chip-hour, $19.33); a term at most 50 years; a deal at most 10 million
# chips (the fleet and trace readers' bound).
MAX_INSTANCE_CHIPS = 100_000
MAX_PRICE_CHIP_HOUR = 1_000.0
MAX_TERM_MONTHS = 600.0
MAX_DEAL_CHIPS = 10_000_000
# a delivery step's start: planner.periods' forms (catalog is upstream of the planner)
_QUARTER = re.compile(r"^\s*\d{4}\s*-?\s*[Qq][1-4]\s*$")
_MONTH = re.compile(r"^\s*\d{4}-(0?[1-9]|1[0-2])\s*$")


# A chip's specs within 1/100 of the smallest and 100x the largest shipped value (bf16 121 to
# 2,516 TFLOP/s, HBM 8 to 288 GiB at 0.3 to 8 TB/s, scale-up 2,400 to 20,480 Gb/s, scale-out 25
# to 800 Gb/s, 70 to 1,400 W, at most 8 cores): a private chip of 1e300 GiB made the serving
# model's batch NaN ('internal error: ValueError'), one of 1e-300 TB/s printed a time to first
# token of 300 digits.
TflopsSpec = Annotated[float, Field(ge=1.0, le=600_000.0)]
HbmGibSpec = Annotated[float, Field(ge=0.08, le=30_000.0)]
HbmTbpsSpec = Annotated[float, Field(ge=0.003, le=1_000.0)]
LinkGbpsSpec = Annotated[float, Field(ge=0.25, le=2_048_000.0)]
TdpSpec = Annotated[float, Field(ge=0.7, le=140_000.0)]


class _Row(NumbersNotBools):
    # built on first validation (``defer_build``), as the fleet models are (``sim.fleet``)
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        str_strip_whitespace=True,
        frozen=True,
        defer_build=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        if isinstance(data, dict):  # (inline: 15 fields on each of the shipped 2,000 offerings)
            return {k: None if isinstance(v, str) and not v.strip() else v for k, v in data.items()}
        return data


class AcceleratorRow(_Row):
    """One accelerator spec (shipped CSV row, or a private chip in a user file)."""

    id: Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    name: str
    vendor: str
    bf16_tflops: TflopsSpec | None = None
    fp8_tflops: TflopsSpec | None = None
    hbm_gib: HbmGibSpec | None = None
    hbm_tbps: HbmTbpsSpec | None = None
    scale_up_chips: Annotated[int, Field(ge=1, le=MAX_INSTANCE_CHIPS)] | None = None
    scale_up_gbps: LinkGbpsSpec | None = None
    scale_out_gbps: LinkGbpsSpec | None = None
    tdp_w: TdpSpec | None = None
    cores_per_chip: Annotated[int, Field(ge=1, le=1024)] = 1
    core_name: str = "GPU"
    aliases: str | list[str] | None = None
    assumed: str | None = None
    source: Annotated[str, Field(min_length=1)]
    as_of: Annotated[str, Field(min_length=1)]
    notes: str | None = None

    def to_domain(self, *, private: bool = False) -> Accelerator:
        """The frozen domain value."""
        aliases: tuple[str, ...]
        if self.aliases is None:
            aliases = ()
        elif isinstance(self.aliases, str):
            aliases = tuple(a.strip() for a in self.aliases.split(";") if a.strip())
        else:
            aliases = tuple(self.aliases)
        return Accelerator(
            id=self.id,
            name=self.name,
            vendor=self.vendor,
            bf16_tflops=self.bf16_tflops,
            fp8_tflops=self.fp8_tflops,
            hbm_gib=self.hbm_gib,
            hbm_tbps=self.hbm_tbps,
            scale_up_chips=self.scale_up_chips,
            scale_up_gbps=self.scale_up_gbps,
            scale_out_gbps=self.scale_out_gbps,
            tdp_w=self.tdp_w,
            cores_per_chip=self.cores_per_chip,
            core_name=self.core_name,
            aliases=aliases,
            assumed=self.assumed or "",
            source=self.source,
            as_of=self.as_of,
            notes=self.notes or "",
            private=private,
        )


class OfferingRow(_Row):
    """One instance offering as shipped; a shipped row may lack a price (none published)."""

    id: str | None = None
    cloud: Annotated[str, Field(min_length=1)]
    region: Annotated[str, Field(min_length=1)]
    instance_type: Annotated[str, Field(min_length=1)]
    accelerator: Annotated[str, Field(min_length=1)]
    chips: Annotated[int, Field(gt=0, le=MAX_INSTANCE_CHIPS)]
    vcpus: NonNegFloat | None = None
    memory_gib: NonNegFloat | None = None
    price_hour: NonNegFloat | None = None
    spot_price_hour: NonNegFloat | None = None
    price_covers: PriceCovers = PriceCovers.INSTANCE  # blank: the whole instance
    source: str | None = None
    as_of: str | None = None
    notes: str | None = None

    @field_validator("price_covers", mode="before")
    @classmethod
    def _default_covers(cls, value: Any) -> Any:
        return PriceCovers.INSTANCE if value is None else value

    @property
    def key(self) -> str:
        """The offering id: given, or ``cloud/region/instance_type``."""
        return self.id or f"{self.cloud}/{self.region}/{self.instance_type}"

    def to_domain(self, accelerator_id: str, *, source: str, as_of: str, private: bool) -> Offering:
        """The frozen domain value, with the accelerator already resolved to its id."""
        return Offering(
            id=self.key,
            cloud=self.cloud.lower(),
            region=self.region,
            instance_type=self.instance_type,
            accelerator=accelerator_id,
            chips=self.chips,
            vcpus=self.vcpus,
            memory_gib=self.memory_gib,
            price_hour=self.price_hour,
            spot_price_hour=self.spot_price_hour,
            price_covers=self.price_covers,
            source=self.source or source,
            as_of=self.as_of or as_of,
            notes=self.notes or "",
            private=private,
        )


class HostVmRow(_Row):
    """One host VM shape and its price in a region (shipped ``host_vms.csv``)."""

    cloud: Annotated[str, Field(min_length=1)]
    region: Annotated[str, Field(min_length=1)]
    instance_type: Annotated[str, Field(min_length=1)]
    vcpus: PosFloat
    memory_gib: PosFloat
    price_hour: PosFloat
    spot_price_hour: PosFloat | None = None
    source: Annotated[str, Field(min_length=1)]
    as_of: Annotated[str, Field(min_length=1)]
    notes: str | None = None

    def to_domain(self) -> HostVm:
        """The frozen domain value."""
        return HostVm(
            cloud=self.cloud.lower(),
            region=self.region,
            instance_type=self.instance_type,
            vcpus=self.vcpus,
            memory_gib=self.memory_gib,
            price_hour=self.price_hour,
            spot_price_hour=self.spot_price_hour,
            source=self.source,
            as_of=self.as_of,
            notes=self.notes or "",
        )


class UserOfferingRow(OfferingRow):
    """An offering in a user file: it must carry ``price_hour`` or ``spot_price_hour``."""

    @model_validator(mode="after")
    def _some_price(self) -> UserOfferingRow:
        if self.price_hour is None and self.spot_price_hour is None:
            raise ValueError(
                "an offering needs price_hour or spot_price_hour (USD per instance-hour)"
            )
        for name, price in (
            ("price_hour", self.price_hour),
            ("spot_price_hour", self.spot_price_hour),
        ):
            if price is not None and price > MAX_PRICE_CHIP_HOUR * self.chips:
                raise ValueError(
                    f"{name} {price:g} is over ${MAX_PRICE_CHIP_HOUR:g} a chip-hour for its "
                    f"{self.chips} chips; give USD per instance-hour"
                )
        return self


class ContractTermRow(_Row):
    """A published commitment discount (shipped ``contract_terms.csv``)."""

    provider: str
    accelerators: str
    kind: ContractKind
    term_months: NonNegFloat
    discount: Annotated[float, Field(ge=0, lt=1)]
    confidence: str
    source: Annotated[str, Field(min_length=1)]
    as_of: Annotated[str, Field(min_length=1)]
    notes: str | None = None

    def to_domain(self) -> ContractTerm:
        """The frozen domain value."""
        return ContractTerm(
            provider=self.provider,
            accelerators=self.accelerators,
            kind=self.kind,
            term_months=self.term_months,
            discount=self.discount,
            confidence=self.confidence,
            source=self.source,
            as_of=self.as_of,
            notes=self.notes or "",
        )


class DeliveryStepRow(NumbersNotBools):
    """From ``start`` on, ``chips`` are delivered and usable (cumulative)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, defer_build=True)
    start: Annotated[str, Field(min_length=1)]
    chips: Annotated[int, Field(ge=0)]

    @field_validator("start")
    @classmethod
    def _period(cls, value: str) -> str:
        # a quarter or a month as scenario files write them (planner.periods); 2026Q5 and
        # 'soon' were accepted and shown as delivery dates
        if _QUARTER.match(value) is None and _MONTH.match(value) is None:
            raise ValueError(
                f"{value!r} is not a period; expected a quarter (2026Q3) or a month (2026-07)"
            )
        return value


_STEP = re.compile(r"^\s*([^:]+?)\s*:\s*(\d+)\s*$")


class DealRow(_Row):
    """A custom negotiated deal: provider, chip, price per chip-hour, term, quantities."""

    id: Annotated[str, Field(min_length=1)]
    provider: Annotated[str, Field(min_length=1)]
    accelerator: Annotated[str, Field(min_length=1)]
    region: str = "any"
    price_chip_hour: Annotated[float, Field(gt=0, le=MAX_PRICE_CHIP_HOUR)]
    term_months: Annotated[float, Field(gt=0, le=MAX_TERM_MONTHS)]
    min_chips: Annotated[int, Field(ge=0, le=MAX_DEAL_CHIPS)] = 0
    max_chips: Annotated[int, Field(gt=0, le=MAX_DEAL_CHIPS)]
    delivery: list[DeliveryStepRow] = Field(default_factory=list)
    source: str | None = None
    as_of: str | None = None
    notes: str | None = None

    @field_validator("delivery", mode="before")
    @classmethod
    def _parse_delivery(cls, value: Any) -> Any:
        # CSV form: "2026Q1:1000;2026Q3:5000"
        if value is None:
            return []
        if isinstance(value, str):
            steps = []
            for part in value.split(";"):
                if not part.strip():
                    continue
                m = _STEP.match(part)
                if m is None:
                    raise ValueError(
                        f"delivery step {part.strip()!r} is not of the form START:CHIPS "
                        "(for example 2026Q3:5000; steps separated by ';')"
                    )
                steps.append({"start": m.group(1), "chips": int(m.group(2))})
            return steps
        return value

    @model_validator(mode="after")
    def _quantities(self) -> DealRow:
        if self.min_chips > self.max_chips:
            raise ValueError(
                f"min_chips ({self.min_chips}) must not exceed max_chips ({self.max_chips})"
            )
        for step in self.delivery:
            if step.chips > self.max_chips:
                raise ValueError(
                    f"delivery step {step.start} delivers {step.chips} chips, more than "
                    f"max_chips ({self.max_chips})"
                )
        return self

    def to_domain(self, accelerator_id: str, *, source: str, as_of: str) -> Deal:
        """The frozen domain value, with the accelerator already resolved to its id."""
        return Deal(
            id=self.id,
            provider=self.provider.lower(),
            accelerator=accelerator_id,
            region=self.region,
            price_chip_hour=self.price_chip_hour,
            term_months=self.term_months,
            min_chips=self.min_chips,
            max_chips=self.max_chips,
            delivery=tuple(DeliveryStep(start=s.start, chips=s.chips) for s in self.delivery),
            source=self.source or source,
            as_of=self.as_of or as_of,
            notes=self.notes or "",
        )


class UserCatalogFile(BaseModel):
    """Top level of a YAML user catalog: private accelerators, offerings and deals."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, defer_build=True)
    accelerators: list[dict[str, Any]] = Field(default_factory=list)
    offerings: list[dict[str, Any]] = Field(default_factory=list)
    deals: list[dict[str, Any]] = Field(default_factory=list)
