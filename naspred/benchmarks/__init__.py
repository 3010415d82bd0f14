"""Ground truth: ``Task`` objects and the loaders that make them from benchmark files."""

from naspred.benchmarks.analog_nasbench import load_analog_nasbench
from naspred.benchmarks.complexity import with_complexity
from naspred.benchmarks.graf import attach_targets, is_graf_valid, load_graf, load_graf_targets
from naspred.benchmarks.hw_nas_bench import load_hw_nas_bench
from naspred.benchmarks.learning_curves import load_learning_curves
from naspred.benchmarks.nasbench_graph import load_nasbench_graph
from naspred.benchmarks.nb201_training import load_nats_bench, load_nb201_full_training
from naspred.benchmarks.registry import (
    ALL_TASK_TARGETS,
    all_tasks,
    describe_tasks,
    embedded_tasks,
    load_tasks,
    require_tasks,
    task_table,
)
from naspred.benchmarks.suite_zero import load_suite_zero
from naspred.benchmarks.task import TARGET, Task, is_cost

__all__ = [
    "ALL_TASK_TARGETS",
    "TARGET",
    "all_tasks",
    "Task",
    "attach_targets",
    "describe_tasks",
    "embedded_tasks",
    "is_cost",
    "is_graf_valid",
    "load_analog_nasbench",
    "load_graf",
    "load_graf_targets",
    "load_hw_nas_bench",
    "load_learning_curves",
    "load_nasbench_graph",
    "load_nats_bench",
    "load_nb201_full_training",
    "load_suite_zero",
    "load_tasks",
    "require_tasks",
    "task_table",
    "with_complexity",
]
