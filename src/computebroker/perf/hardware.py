"""What an accelerator achieves, not what it peaks at: calibrated efficiencies and constants.

Peak numbers come from the catalog. This module adds, per accelerator, the *achievable*
fraction of peak for large training GEMMs (``matmul_bf16``, ``matmul_fp8``) — fitted to
published runs by ``computebroker estimate calibrate`` and shipped in
``data/efficiency.csv`` with the runs each was fitted on — and model-wide constants whose
values and sources are given beside each one below.

Chips without a fitted row take their vendor's default row (``nvidia``, ``amd``, ``google``,
``aws``, ``intel``), and the report says so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from computebroker.catalog import Accelerator
from computebroker.errors import InfeasibleRequestError, InputError
from computebroker.inputs import read_text

__all__ = [
    "Constants",
    "Efficiency",
    "HardwareProfile",
    "default_constants",
    "efficiency_table",
    "load_efficiency_file",
    "parse_efficiency_csv",
    "profile_for",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Efficiency:
    """Achievable fractions of dense peak for one accelerator (or vendor default)."""

    key: str
    matmul_bf16: float
    matmul_fp8: float
    fitted_on: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Constants:
    """Model-wide constants; each value's origin is documented where it is defined."""

    # Attention kernels reach a lower fraction of peak than plain GEMMs: FlashAttention-2
    # reports 50-73% of A100 peak forward+backward against ~80% for cuBLAS GEMMs (Dao 2023,
    # Fig. 4), i.e. about 0.75 of GEMM efficiency.
    attn_rel: float = 0.75
    # GEMM efficiency falls for narrow matrices: eff = peak_eff * n / (n + gemm_n0), n the
    # smallest GEMM dimension on a chip. 128 ~ one tensor-core/MXU tile edge; fitted jointly.
    gemm_n0: float = 128.0
    # Memory-bound kernels (norms, activations, residuals, optimizer) reach ~80% of HBM peak
    # (STREAM-like copy kernels on A100/H100; NVIDIA's own bandwidth tests).
    mem_eff: float = 0.8
    # Bus-bandwidth efficiency of collectives: NCCL all-reduce on NVLink reaches ~370 of 450
    # GB/s per direction on H100 (nccl-tests), ~0.8; over InfiniBand/EFA ~0.75 of line rate.
    net_up_eff: float = 0.8
    net_out_eff: float = 0.75
    # All-to-all (expert parallel) moves many small messages; it reaches ~half the bandwidth
    # of a ring collective (DeepEP reports ~40-50 GB/s on 400 Gb/s IB, Table 1).
    a2a_eff: float = 0.55
    # Per-collective latency (s): NCCL ring latency on NVLink ~10 us, across nodes ~25 us.
    lat_up_s: float = 10e-6
    lat_out_s: float = 25e-6
    # HBM not available to the framework: CUDA/XLA context, NCCL buffers, fragmentation.
    reserved_gib: float = 2.0
    usable_fraction: float = 0.92


def default_constants() -> Constants:
    """The shipped constants (fitted values are read from data/efficiency.csv)."""
    return _table()[1]


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, Efficiency], Constants]:
    text = (
        resources.files("computebroker.perf").joinpath("data", "efficiency.csv").read_text("utf-8")
    )
    return parse_efficiency_csv(text, "perf/data/efficiency.csv", Constants())


def parse_efficiency_csv(
    text: str, source: str, base: Constants
) -> tuple[dict[str, Efficiency], Constants]:
    """Efficiency rows (and ``const:`` rows) from CSV text, as written by ``estimate calibrate``."""
    effs: dict[str, Efficiency] = {}
    consts: dict[str, float] = {}
    reader = csv.DictReader(io.StringIO(text))
    missing = {"key", "matmul_bf16", "matmul_fp8"} - set(reader.fieldnames or [])
    if missing:
        raise InputError.single(source, f"missing column(s) {', '.join(sorted(missing))}", line=1)
    known = set(Constants.__dataclass_fields__)
    for line, row in enumerate(reader, start=2):
        key = row["key"].strip()
        try:
            if key.startswith("const:"):
                name = key[len("const:") :]
                if name not in known:
                    raise InputError.single(
                        source, f"unknown constant {name!r}", line=line, field="key"
                    )
                consts[name] = float(row["matmul_bf16"])
                continue
            bf16, fp8 = float(row["matmul_bf16"]), float(row["matmul_fp8"])
        except ValueError:
            raise InputError.single(
                source, "matmul_bf16 and matmul_fp8 must be numbers", line=line
            ) from None
        for field, v in (("matmul_bf16", bf16), ("matmul_fp8", fp8)):
            if not 0 < v <= 1:
                raise InputError.single(
                    source,
                    "an efficiency is a fraction of peak in (0, 1]",
                    line=line,
                    field=field,
                    value=v,
                )
        effs[key] = Efficiency(
            key=key,
            matmul_bf16=bf16,
            matmul_fp8=fp8,
            fitted_on=row.get("fitted_on") or "",
            source=row.get("source") or source,
        )
    return effs, replace(base, **consts)


def load_efficiency_file(path: str) -> tuple[dict[str, Efficiency], Constants]:
    """The shipped table with a user's calibration file laid over it."""
    from pathlib import Path

    p = Path(path)
    text = read_text(p, field="--efficiency")
    shipped, consts = _table()
    mine, consts = parse_efficiency_csv(text, str(p), consts)
    return {**shipped, **mine}, consts


def efficiency_table() -> Mapping[str, Efficiency]:
    """Shipped efficiencies by accelerator id and vendor default key."""
    return _table()[0]


# Interconnect figures the catalog lacks, needed to cost collectives. Each is an assumption:
_FALLBACK_SCALE_UP_GBPS = {
    # Trn1: NeuronLink-v2, 768 GB/s per chip quoted by AWS at Trn1 launch (not re-read here).
    "trn1": 6144.0,
    # Trn2: NeuronLink-v3, ~1 TB/s per chip (AWS re:Invent 2024 Trn2 announcement; not re-read).
    "trn2": 8192.0,
    "inf2": 6144.0,
    # MI355X: same Infinity Fabric generation as MI300X assumed.
    "mi355x": 7168.0,
}
# Trn3 UltraServer size is not in a read source (reported as 144); a Trn2-sized domain is assumed.
_FALLBACK_DOMAIN = {"trn3": 64}
_FALLBACK_SCALE_OUT_GBPS = {
    # TPU DCN between slices: v5e has 2x100 Gbps per 8-chip host (25 per chip, catalog);
    # v4/v5p/v6e/v7 hosts carry 4 chips and 200 Gbps assumed (50 per chip).
    "google": 50.0,
    "default": 100.0,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class HardwareProfile:
    """Everything the step-time model needs about one accelerator."""

    accelerator: Accelerator
    peak_bf16_flops: float
    peak_fp8_flops: float
    hbm_bytes: float
    hbm_bytes_per_s: float
    scale_up_chips: int
    scale_up_bytes_per_s: float  # per chip, one direction
    scale_out_bytes_per_s: float  # per chip, one direction
    efficiency: Efficiency
    constants: Constants
    assumptions: tuple[str, ...] = ()

    @property
    def usable_hbm_bytes(self) -> float:
        """HBM left for weights, optimizer state and activations."""
        c = self.constants
        return self.hbm_bytes * c.usable_fraction - c.reserved_gib * 1024**3


def profile_for(
    acc: Accelerator,
    *,
    efficiencies: Mapping[str, Efficiency] | None = None,
    constants: Constants | None = None,
) -> HardwareProfile:
    """Build the profile of ``acc``; raises when the catalog lacks the specs the model needs."""
    missing = [
        name
        for name, value in (
            ("bf16_tflops", acc.bf16_tflops),
            ("hbm_gib", acc.hbm_gib),
            ("hbm_tbps", acc.hbm_tbps),
        )
        if value is None
    ]
    if missing:
        raise InfeasibleRequestError(
            f"{acc.id} cannot be modelled: the catalog has no {', '.join(missing)} for it "
            "(add them with --catalog FILE)"
        )
    assert acc.bf16_tflops is not None and acc.hbm_gib is not None and acc.hbm_tbps is not None
    effs = efficiencies if efficiencies is not None else efficiency_table()
    consts = constants if constants is not None else default_constants()
    assumptions: list[str] = []
    eff = effs.get(acc.id)
    if eff is None:
        eff = effs.get(acc.vendor.lower()) or effs["nvidia"]
        assumptions.append(f"no efficiency fitted for {acc.id}: using the {eff.key} default")
    up = acc.scale_up_gbps or _FALLBACK_SCALE_UP_GBPS.get(acc.id)
    if acc.scale_up_gbps is None and up is not None:
        assumptions.append(f"scale-up bandwidth {up:,.0f} Gb/s per chip assumed (not in catalog)")
    out = acc.scale_out_gbps or _FALLBACK_SCALE_OUT_GBPS.get(
        acc.vendor.lower(), _FALLBACK_SCALE_OUT_GBPS["default"]
    )
    if acc.scale_out_gbps is None:
        assumptions.append(f"scale-out bandwidth {out:,.0f} Gb/s per chip assumed (not in catalog)")
    domain = acc.scale_up_chips or _FALLBACK_DOMAIN.get(acc.id, 1)
    if acc.scale_up_chips is None and acc.id in _FALLBACK_DOMAIN:
        assumptions.append(f"scale-up domain of {domain} chips assumed (not in catalog)")
    if domain == 1:
        # PCIe cards without chip-to-chip links still share an 8-GPU server (g6.48xlarge,
        # g6e.48xlarge): tensor parallelism runs over PCIe inside it.
        domain = 8
        assumptions.append(
            "no chip-to-chip link: an 8-chip server over PCIe is the scale-up domain"
        )
    if up is None:  # no chip-to-chip link: PCIe Gen4 x16, ~32 GB/s each way (256 Gb/s x 2)
        up = 512.0
    fp8 = acc.fp8_tflops or acc.bf16_tflops
    return HardwareProfile(
        accelerator=acc,
        peak_bf16_flops=acc.bf16_tflops * 1e12,
        peak_fp8_flops=fp8 * 1e12,
        hbm_bytes=acc.hbm_gib * 1024**3,
        hbm_bytes_per_s=acc.hbm_tbps * 1e12,
        scale_up_chips=domain,
        # Vendor link figures are aggregate bidirectional Gbit/s: one direction is half.
        scale_up_bytes_per_s=up * 1e9 / 8 / 2,
        # Scale-out figures are NIC line rates, full duplex: already one direction.
        scale_out_bytes_per_s=out * 1e9 / 8,
        efficiency=eff,
        constants=consts,
        assumptions=tuple(assumptions),
    )
