"""Perf stage: how long and how much a workload takes on each accelerator.

From a model and a chip: FLOPs and memory (``models``), the best parallel layout and its step
time (``layout``, ``train``), serving at a latency target (``serve``), prices on every contract
(``estimate``), and the throughput matrix that plan and sim consume (``matrix``). Achievable
efficiencies are fitted to published runs (``calibrate``, ``validation``).
"""

from computebroker.perf.calibrate import Calibration, calibrate
from computebroker.perf.estimate import (
    CostLine,
    TrainingReport,
    TrainingRequest,
    estimate_training,
    modelable_accelerators,
)
from computebroker.perf.hardware import Constants, Efficiency, HardwareProfile, profile_for
from computebroker.perf.layout import (
    Layout,
    LayoutConstraints,
    Precision,
    Recompute,
    parse_count,
)
from computebroker.perf.matrix import (
    Mode,
    WorkloadClass,
    matrix_records,
    read_matrix,
    throughput_matrix,
    write_matrix,
)
from computebroker.perf.models import ModelKind, ModelSpec
from computebroker.perf.presets import get_model, load_model_file, model_names, resolve_model
from computebroker.perf.serve import ServeEstimate, ServeSetup, estimate_serving
from computebroker.perf.stacks import Stack, default_stack_for, get_stack
from computebroker.perf.train import (
    MemoryBreakdown,
    StepBreakdown,
    TrainEstimate,
    TrainSetup,
    evaluate_layout,
    search_layouts,
)
from computebroker.perf.validation import PublishedRun, published_runs, run_errors
from computebroker.perf.workloads import load_workloads

__all__ = [
    "Calibration",
    "Constants",
    "CostLine",
    "Efficiency",
    "HardwareProfile",
    "Layout",
    "LayoutConstraints",
    "MemoryBreakdown",
    "Mode",
    "ModelKind",
    "ModelSpec",
    "Precision",
    "PublishedRun",
    "Recompute",
    "ServeEstimate",
    "ServeSetup",
    "Stack",
    "StepBreakdown",
    "TrainEstimate",
    "TrainSetup",
    "TrainingReport",
    "TrainingRequest",
    "WorkloadClass",
    "calibrate",
    "default_stack_for",
    "estimate_serving",
    "estimate_training",
    "evaluate_layout",
    "get_model",
    "get_stack",
    "load_model_file",
    "load_workloads",
    "matrix_records",
    "model_names",
    "modelable_accelerators",
    "parse_count",
    "profile_for",
    "published_runs",
    "read_matrix",
    "resolve_model",
    "run_errors",
    "search_layouts",
    "throughput_matrix",
    "write_matrix",
]
