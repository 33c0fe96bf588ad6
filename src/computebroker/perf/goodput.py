"""Goodput: the share of a training job's wall-clock time that advances the model.

Role: turn a step-time estimate (which assumes the job never stops) into days and chip-hours
that include interruptions, restarts from checkpoint, checkpoint stalls and evaluation.

Model (Young 1974, "A first order approximation to the optimum checkpoint interval"): with
``N`` chips each interrupted at rate ``r`` per chip-hour, the job is interrupted at
``lam = N r``. Writing a checkpoint stalls training ``delta`` seconds; checkpointing every
``tau = sqrt(2 delta / lam)`` seconds minimises the loss. Each interruption costs the restart
(detect, reschedule, reload: ``restart_s``) plus on average half an interval of lost work.
Per second of useful training the job spends ``w = delta / tau + lam (restart_s + tau / 2)``
seconds on overhead, so the training share is ``1 / (1 + w)``; evaluation takes a further
``eval_fraction`` of the time.

Defaults (``LLAMA3``), each overridable per run:

* interruptions: 466 job interruptions (47 planned, 419 unexpected) in a 54-day snapshot of
  Llama 3 405B pre-training on 16,384 H100s (Dubey et al. 2024, *The Llama 3 Herd of Models*,
  arXiv:2407.21783, Sec. 3.3.4 and Table 5): 466 / (54 x 24 x 16,384) = 2.19e-5 per chip-hour;
* restart 300 s and checkpoint stall 30 s: not published by Meta (MTTR is reported as "tens of
  minutes" without automation, FFTrainer arXiv:2512.03644 Sec. 1, citing MegaScale); chosen so
  that the Llama 3 setting gives the paper's published "higher than 90% effective training
  time" (0.90 at 16,384 chips);
* evaluation 1% of wall-clock: an assumption (periodic held-out evals on the training fleet);
  no public figure was found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["LLAMA3", "NO_INTERRUPTIONS", "Goodput", "goodput_fraction"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Goodput:
    """How a long training job loses time; see the module docstring for sources."""

    interruptions_per_chip_hour: float
    restart_s: float
    checkpoint_stall_s: float
    eval_fraction: float
    source: str = ""

    def fraction(self, chips: int) -> float:
        """Share of wall-clock time that advances training on ``chips`` chips."""
        return goodput_fraction(self, chips)

    def checkpoint_interval_s(self, chips: int) -> float:
        """Young's optimal checkpoint interval (inf when nothing is interrupted)."""
        lam = chips * self.interruptions_per_chip_hour / 3600.0
        if lam <= 0 or self.checkpoint_stall_s <= 0:
            return math.inf
        return math.sqrt(2.0 * self.checkpoint_stall_s / lam)

    def describe(self, chips: int) -> str:
        """One line for the assumptions printed under an estimate."""
        lam_h = chips * self.interruptions_per_chip_hour
        if lam_h <= 0 and self.eval_fraction <= 0:
            return "goodput 100% (interruptions and evaluation ignored)"
        mtbf = f"one interruption every {1 / lam_h:,.1f} h" if lam_h > 0 else "no interruptions"
        tau = self.checkpoint_interval_s(chips)
        ckpt = f", checkpoint every {tau / 60:,.0f} min" if math.isfinite(tau) else ""
        return (
            f"goodput {self.fraction(chips):.1%}: {mtbf} on {chips:,} chips, "
            f"restart {self.restart_s / 60:.0f} min{ckpt} "
            f"({self.checkpoint_stall_s:.0f} s stall), evaluation {self.eval_fraction:.0%} "
            f"({self.source or 'user'}; override with --interruptions-per-chip-day, "
            "--restart-min, --eval-fraction or --no-goodput)"
        )


def goodput_fraction(g: Goodput, chips: int) -> float:
    """``(1 - eval_fraction) / (1 + w)`` with the overhead ``w`` of the module docstring.

    Examples
    --------
    >>> g = goodput_fraction(LLAMA3, 16384)  # Llama 3 405B: "higher than 90%" training time
    >>> round(g / (1 - LLAMA3.eval_fraction), 2), round(g, 3)
    (0.9, 0.894)
    >>> goodput_fraction(NO_INTERRUPTIONS, 16384)
    1.0
    """
    lam = max(0, chips) * g.interruptions_per_chip_hour / 3600.0
    if lam > 0:
        tau = g.checkpoint_interval_s(chips)
        stall = g.checkpoint_stall_s / tau if math.isfinite(tau) else 0.0
        half = tau / 2 if math.isfinite(tau) else 0.0
        w = stall + lam * (g.restart_s + half)
    else:
        w = 0.0
    return (1.0 - g.eval_fraction) / (1.0 + w)


LLAMA3 = Goodput(
    interruptions_per_chip_hour=466 / (54 * 24 * 16384),
    restart_s=300.0,
    checkpoint_stall_s=30.0,
    eval_fraction=0.01,
    source="Llama 3 interruption rate, Dubey et al. 2024 Sec. 3.3.4",
)
NO_INTERRUPTIONS = Goodput(
    interruptions_per_chip_hour=0.0,
    restart_s=0.0,
    checkpoint_stall_s=0.0,
    eval_fraction=0.0,
    source="goodput off",
)
