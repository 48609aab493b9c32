"""The table of the workload ``TB``: W1 and W2 on our Temporal backend (Lua workflows
served by a ``temporal.worker``) beside native ``temporalio`` Python workflows, same
dev server, same run (``bench/bench_temporal_backend.py``). Target (issue 5): the Lua
layer costs at most 10%, i.e. Lua / native <= 1.10 in time."""

from __future__ import annotations

import statistics

from .engines import Run
from .table import fmt, values

TARGET = 1.10


def backend(run: Run) -> list[str]:
    """The markdown lines (empty when the run has no ``TB`` samples)."""
    results = run.data.get("TB", {}).get("pair", [])
    if not results:
        return []
    count = results[0].get("count", 1000)
    lines = ["", "Our Temporal backend against native temporalio workflows (same dev server, "
             "same run):", "",
             "| workload | ours: Lua workflow, our temporal.worker | native temporalio Python "
             "workflow | Lua / native (time; paired per repetition) | target |",
             "|---|---|---|---|---|"]

    def row(label: str, key: str, unit: str, digits: int, time_like: bool,
            target: bool) -> None:
        lua = values(run, "TB", "pair", f"lua_{key}")
        native = values(run, "TB", "pair", f"native_{key}")
        if not lua or not native:
            return
        if time_like:
            paired = [a / b for a, b in zip(lua, native, strict=False)]
            ratio = statistics.median(lua) / statistics.median(native)
        else:  # a rate: Lua takes native / lua as long
            paired = [b / a for a, b in zip(lua, native, strict=False)]
            ratio = statistics.median(native) / statistics.median(lua)
        verdict = ""
        if target:
            verdict = (f"Lua layer <= 10% (<= {TARGET:.2f}x): "
                       f"{'MET' if ratio <= TARGET else '**MISSED**'}")
        lines.append(f"| {label} | {fmt(lua, unit, digits)} | {fmt(native, unit, digits)} | "
                     f"{ratio:.2f}x ({fmt(paired, 'x', 2).split(' (')[1][:-1]}) | {verdict} |")

    row("W1 per step, 1 workflow of 100 sequential no-op activities", "step_us", "µs", 0,
        True, True)
    row("W1 worker process CPU per step", "step_cpu_us", "µs", 0, True, False)
    row(f"W2 {count:,} concurrent workflows x 3 no-op activities", "per_s", "wf/s", 1, False,
        True)
    row("W2 worker process CPU per workflow", "cpu_ms_per_wf", "ms", 2, True, False)
    return lines
