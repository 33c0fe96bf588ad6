"""Software stacks: what the framework does, as far as the step time depends on it.

The same chip runs a model at different speeds under different software. A stack records the
behaviours the step-time model distinguishes — fused (Flash) attention or a materialised
softmax, how much data-parallel and tensor-parallel traffic is hidden behind compute, the width
of gradient buffers, and how close ZeRO-3/FSDP gathers get to the links' bandwidth — each with
its source in ``data/stacks.csv``. Each vendor has a default stack.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from computebroker.errors import UnknownNameError

__all__ = ["Stack", "default_stack_for", "get_stack", "stacks"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stack:
    """Framework behaviours that change step time."""

    name: str
    flash_attention: bool
    dp_overlap: float
    tp_overlap: float
    grad_bytes: float
    fsdp_bw_factor: float
    host_op_s: float = 0.0  # host time to issue one device operation (eager stacks; 0: compiled)
    ep_overlap: float = 0.0  # share of the MoE all-to-all hidden behind compute
    source: str = ""


@lru_cache(maxsize=1)
def stacks() -> Mapping[str, Stack]:
    """The shipped stacks by name."""
    text = resources.files("computebroker.perf").joinpath("data", "stacks.csv").read_text("utf-8")
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[row["name"]] = Stack(
            name=row["name"],
            flash_attention=row["flash_attention"].strip().lower() == "true",
            dp_overlap=float(row["dp_overlap"]),
            tp_overlap=float(row["tp_overlap"]),
            grad_bytes=float(row["grad_bytes"]),
            fsdp_bw_factor=float(row["fsdp_bw_factor"]),
            host_op_s=float(row.get("host_op_us") or 0.0) * 1e-6,
            ep_overlap=float(row.get("ep_overlap") or 0.0),
            source=row["source"],
        )
    return out


def get_stack(name: str) -> Stack:
    """A stack by name; unknown names raise with the known ones."""
    table = stacks()
    key = name.strip().lower()
    if key not in table:
        raise UnknownNameError(kind="stack", name=name, known=list(table))
    return table[key]


_VENDOR_DEFAULT = {"google": "maxtext", "aws": "neuronx"}


def default_stack_for(vendor: str) -> Stack:
    """The stack a team would use on this vendor's chips today.

    Examples
    --------
    >>> default_stack_for("Google").name, default_stack_for("NVIDIA").name
    ('maxtext', 'megatron-core')
    """
    return get_stack(_VENDOR_DEFAULT.get(vendor.lower(), "megatron-core"))
