"""Parallel layouts: the degrees a training job is split by, and how to enumerate them.

A layout splits ``chips = tp x pp x dp x cp``; expert parallelism ``ep`` divides ``dp x cp``
(experts are sharded across data/context-parallel ranks, as in Megatron-Core). Tensor
parallelism is kept inside the scale-up domain (NVLink, ICI slice, NeuronLink) unless a user
pins it otherwise. Vendor counting conventions are converted here: TPU v2-v5p and TPU7x slice
names count TensorCores, Trainium parallel degrees count NeuronCores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from computebroker.catalog import Accelerator
from computebroker.errors import InputError

__all__ = [
    "Layout",
    "LayoutConstraints",
    "Precision",
    "Recompute",
    "candidate_layouts",
    "parse_count",
]


class Precision(StrEnum):
    """Precision of the training GEMMs (attention and optimizer stay in bf16 / fp32)."""

    BF16 = "bf16"
    FP8 = "fp8"


class Recompute(StrEnum):
    """Activation recomputation (Korthikanti et al. 2022).

    ``partial`` recomputes whole layers for as few layers as needed to fit in memory and keeps
    selective recomputation for the rest (Megatron's ``--recompute-num-layers``).
    """

    NONE = "none"
    SELECTIVE = "selective"
    PARTIAL = "partial"
    FULL = "full"


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """Degrees of parallelism and the settings that go with them.

    ``zero``: 1 shards optimizer state over data-parallel ranks (Megatron distributed
    optimizer); 2 also gradients; 3 also weights (ZeRO-3 / FSDP). ``vpp`` is the number of
    interleaved virtual stages per pipeline rank.
    """

    tp: int
    pp: int
    dp: int
    cp: int = 1
    ep: int = 1
    vpp: int = 1
    microbatch: int = 1
    zero: int = 1
    recompute: Recompute = Recompute.SELECTIVE

    @property
    def chips(self) -> int:
        """Chips the layout occupies."""
        return self.tp * self.pp * self.dp * self.cp

    def describe(self) -> str:
        """Compact human form.

        Examples
        --------
        >>> Layout(tp=8, pp=16, dp=64).describe()
        'TP8 PP16 DP64 mb1 ZeRO-1 recompute=selective'
        """
        parts = [f"TP{self.tp}", f"PP{self.pp}"]
        if self.vpp > 1:
            parts.append(f"VPP{self.vpp}")
        parts.append(f"DP{self.dp}")
        if self.cp > 1:
            parts.append(f"CP{self.cp}")
        if self.ep > 1:
            parts.append(f"EP{self.ep}")
        parts += [f"mb{self.microbatch}", f"ZeRO-{self.zero}", f"recompute={self.recompute.value}"]
        return " ".join(parts)

    def as_dict(self) -> dict[str, int | str]:
        """Plain dict for JSON."""
        return {
            "tp": self.tp,
            "pp": self.pp,
            "dp": self.dp,
            "cp": self.cp,
            "ep": self.ep,
            "vpp": self.vpp,
            "microbatch": self.microbatch,
            "zero": self.zero,
            "recompute": self.recompute.value,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LayoutConstraints:
    """What a user pins; ``None`` means search it."""

    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    cp: int | None = None
    ep: int | None = None
    vpp: int | None = None
    microbatch: int | None = None
    zero: int | None = None
    recompute: Recompute | None = None


# No cluster has 10M accelerators; a larger count is a typo and would make the layout search run
# for hours.
MAX_CHIPS = 10_000_000
_COUNT = re.compile(r"^\s*(?:(?:tpu-)?(v\d+[a-z]*)-)?(\d+)\s*(c|nc|cores?)?\s*$", re.IGNORECASE)


def parse_count(text: str | int, acc: Accelerator, *, what: str = "chips") -> int:
    """Chips from a count written in the vendor's convention.

    A plain integer counts chips. A suffix ``c``/``nc``/``cores`` counts cores (TensorCores,
    NeuronCores), and a TPU slice name (``v5p-128``) counts TensorCores as Google's names do.

    Examples
    --------
    >>> from computebroker.catalog import load_catalog
    >>> cat = load_catalog()
    >>> parse_count("v5p-128", cat.accelerator("tpu-v5p")), parse_count("32nc", cat.accelerator("trn1"))
    (64, 16)
    >>> parse_count("v6e-256", cat.accelerator("tpu-v6e"))
    256
    """
    if isinstance(text, int):
        return text
    m = _COUNT.match(text)
    if m is None:
        raise InputError.single(
            "<args>",
            f"cannot read {text!r} as a count; expected an integer (chips), N followed by "
            "'c' (cores), or a TPU slice name such as v5p-128",
            field=what,
        )
    slice_gen, n, cores = m.group(1), int(m.group(2)), m.group(3)
    if not 1 <= n <= MAX_CHIPS:
        raise InputError.single(
            "<args>",
            f"{text!r}: expected between 1 and {MAX_CHIPS:,} chips (or cores)",
            field=what,
        )
    if slice_gen is not None:
        _check_slice(text, slice_gen, acc, what)
    per_chip = acc.cores_per_chip
    if slice_gen is not None or cores is not None:
        if n % per_chip:
            raise InputError.single(
                "<args>",
                f"{n} {acc.core_name}s is not a whole number of {acc.id} chips "
                f"({per_chip} per chip)",
                field=what,
                value=text,
            )
        return n // per_chip
    return n


def _check_slice(text: str, gen: str, acc: Accelerator, what: str) -> None:
    """A slice name counts the cores of its own TPU generation: ``v5p-1024`` on h100 was read
    as 1,024 h100s, ``v4-128`` on tpu-v5p as 64 v5p chips."""
    names = {acc.id.lower(), *(a.lower() for a in acc.aliases)}
    if gen.lower() not in names and f"tpu-{gen.lower()}" not in names:
        raise InputError.single(
            "<args>",
            f"{text!r} is a slice of TPU {gen}, not of {acc.id}; give a plain count of "
            f"{acc.id} chips (or one of its own slice names)",
            field=what,
            value=text,
        )


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def candidate_layouts(
    *,
    chips: int,
    layers: int,
    heads: int,
    experts: int,
    seq_len: int,
    global_batch_seqs: int,
    scale_up_chips: int,
    fixed: LayoutConstraints,
) -> Iterator[Layout]:
    """Every layout worth costing for this job, honouring ``fixed``.

    Pruned by construction: TP is a power of two dividing the heads and at most the scale-up
    domain (or 8 on a single-chip domain); context parallelism only for sequences of 8K or
    more; virtual stages only when they divide the layers; micro-batches must divide the
    per-replica batch.
    """

    def opts(value: int | None, default: list[int]) -> list[int]:
        return [value] if value is not None else default

    max_tp = max(1, min(scale_up_chips, 64))
    tps = opts(fixed.tp, [t for t in (1, 2, 4, 8, 16, 32, 64) if t <= max_tp and heads % t == 0])
    cps = opts(fixed.cp, [c for c in (1, 2, 4, 8, 16) if c == 1 or seq_len // c >= 4096])
    zeros = opts(fixed.zero, [1, 3])
    recs = [fixed.recompute] if fixed.recompute is not None else list(Recompute)
    mbs = opts(fixed.microbatch, [1, 2, 4, 8])
    for tp in tps:
        for cp in cps:
            if chips % (tp * cp):
                continue
            rest = chips // (tp * cp)
            pps = opts(fixed.pp, [p for p in _divisors(rest) if p <= min(layers, 128)])
            for pp in pps:
                if rest % pp:
                    continue
                dp = rest // pp
                if fixed.dp is not None and dp != fixed.dp:
                    continue
                if global_batch_seqs % dp:
                    continue
                eps = opts(
                    fixed.ep,
                    [e for e in _divisors(dp * cp) if experts % e == 0] if experts else [1],
                )
                vpps = opts(
                    fixed.vpp,
                    [v for v in (1, 2, 4, 8) if pp > 1 and layers >= pp * v] if pp > 1 else [1],
                )
                for ep in eps:
                    for mb in mbs:
                        if (global_batch_seqs // dp) % mb:
                            continue
                        n_micro = global_batch_seqs // (dp * mb)
                        for vpp in vpps:
                            if vpp > 1 and n_micro % pp:
                                continue
                            for zero in zeros:
                                # FSDP with pipelining (torchtitan FSDP2 + PP) is searched
                                # only when ZeRO-3 is pinned: most stacks do not offer it.
                                if zero == 3 and pp > 1 and fixed.zero != 3:
                                    continue
                                for rc in recs:
                                    yield Layout(
                                        tp=tp,
                                        pp=pp,
                                        dp=dp,
                                        cp=cp,
                                        ep=ep,
                                        vpp=vpp,
                                        microbatch=mb,
                                        zero=zero,
                                        recompute=rc,
                                    )
