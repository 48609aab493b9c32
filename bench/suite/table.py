"""The comparison table of a :class:`~suite.engines.Run`: one row per figure, one
column per engine, each cell the median (min–max) of all samples; the ratio of ours to
the best peer and the target, MET or MISSED."""

from __future__ import annotations

import statistics

from .engines import Run
from .ours import A1_HOPS, A1_SIZE, A2_SPAWNS, A3_IDLE, N_W3, N_W4


def values(run: Run, workload: str, engine: str, key: str) -> list[float]:
    """All samples of ``key``: lists are concatenated, scalars collected."""
    out: list[float] = []
    for result in run.data.get(workload, {}).get(engine, []):
        value = result[key]
        out.extend(value if isinstance(value, list) else [value])
    return out


def fmt(samples: list[float], unit: str, digits: int) -> str:
    if not samples:
        return "—"
    med, low, high = statistics.median(samples), min(samples), max(samples)

    def num(v: float) -> str:
        return f"{v:,.{digits}f}"

    return f"{num(med)} {unit} ({num(low)}–{num(high)})"


LABELS = {"ours": "ours", "dbos": "DBOS", "temporal": "Temporal", "tlocal": "Temporal local"}
VARIANTS = {"sync": "its sync API", "async": "its async API",
            "burst": "the 100 start calls made at once",
            "loop": "the 100 start calls made one after the other, each awaited"}


def table(run: Run) -> list[str]:
    """The markdown of the comparison: one row per figure, one column per engine. A
    peer measured in several variants (DBOS sync/async API, W5 start pattern) shows
    its best variant, named in the notes."""
    columns = ["ours", "dbos", "temporal", "tlocal"]
    lines = ["| workload | ours (embedded) | DBOS 3.4 (SQLite) | Temporal 1.35 (activities) | "
             "Temporal (local activities) | ours vs best peer | target |",
             "|---|---|---|---|---|---|---|"]
    notes: list[str] = []

    def pick(label: str, workload: str, column: str, key: str, lower: bool, unit: str,
             digits: int, scale: float) -> str | None:
        sources = [e for e in run.data.get(workload, {})
                   if e == column or e.startswith(column + ":")]
        sources = [e for e in sources if values(run, workload, e, key)]
        if not sources:
            return None
        best = (min if lower else max)(
            sources, key=lambda e: statistics.median(values(run, workload, e, key)))
        if len(sources) > 1:
            others = ", ".join(
                f"{VARIANTS[e.split(':')[1]]}: "
                f"{fmt([v * scale for v in values(run, workload, e, key)], unit, digits)}"
                for e in sources if e != best)
            notes.append(f"{label}: {LABELS[column]} shows {VARIANTS[best.split(':')[1]]}, "
                         f"its best here (other: {others})")
        return best

    def row(label: str, workload: str, key: str, unit: str, digits: int, lower: bool,
            target: str = "", scale: float = 1.0) -> None:
        if workload not in run.data:
            return
        cells, medians = [], {}
        for column in columns:
            source = pick(label, workload, column, key, lower, unit, digits, scale)
            samples = [v * scale for v in values(run, workload, source, key)] if source else []
            if samples:
                medians[column] = statistics.median(samples)
                cells.append(fmt(samples, unit, digits))
            else:
                cells.append("—")
        peer_medians = {e: m for e, m in medians.items() if e != "ours"}
        verdict = ratio = ""
        if "ours" in medians and peer_medians:
            best = (min if lower else max)(peer_medians, key=peer_medians.__getitem__)
            mine, theirs = medians["ours"], peer_medians[best]
            factor = (theirs / mine) if lower else (mine / theirs)  # > 1: we are ahead
            ahead = factor > 1
            ratio = (f"{factor:,.1f}x better than {LABELS[best]}" if ahead
                     else f"{1 / factor:,.1f}x worse than {LABELS[best]}")
            verdict = "MET" if ahead else "**MISSED**"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio} | "
                     f"{target + ': ' + verdict if target else ''} |")

    ahead = "ahead of every peer"
    row("W1 per step, 1 workflow of 100 sequential no-op steps", "W1", "step_us", "µs", 0,
        True, ahead)
    row("W2 1,000 concurrent workflows x 3 no-op steps", "W2", "per_s", "wf/s", 0, False,
        ahead)
    row(f"W3 memory per waiting workflow ({N_W3:,} waiting)", "W3", "rss_per_wf", "KB", 1,
        True, ahead, scale=1 / 1024)
    row(f"W3 start {N_W3:,} workflows until all wait", "W3", "start_s", "s", 2, True)
    row(f"W3 signal all {N_W3:,}, all finished", "W3", "signal_s", "s", 2, True, ahead)
    for pct in ("p50", "p99"):
        # Ours: until the commit holding the completion returned (the peers report a
        # durable result too).
        for result in run.data.get("W5", {}).get("ours", []):
            result.setdefault(pct, result[f"durable_{pct}"])
        row(f"W5 completion lag, 100 x 1-s sleep, {pct}", "W5", pct, "ms", 1, True, ahead)
    row(f"W4 SIGKILL with {N_W4} in flight: restart to all done", "W4", "restart_to_done_s",
        "s", 2, True, ahead)
    row("R replay per recorded activity (100-activity history)", "R", "us_per_step", "µs",
        1, True)
    row("R replay per history event", "R", "us_per_event", "µs", 1, True)
    actor_lines, actor_notes = actors(run)
    lines += actor_lines
    notes += actor_notes
    if "W1" in run.data:
        ratio = values(run, "W1", "ours", "ratio")
        med = statistics.median(ratio) if ratio else float("nan")
        lines.append(
            f"| W1 ours per step / one fsync commit (paired per repetition) | "
            f"{fmt(ratio, 'x', 2)} | | | | | within 1.5x of the SQLite floor: "
            f"{'MET' if med <= 1.5 else '**MISSED**'} |")
    fl = values(run, "floor", "sqlite", "fsync_us") + values(run, "W1", "ours", "fsync_us")
    if fl:
        lines.append(f"| floor: one SQLite fsync commit (1 row, WAL, FULL) | {fmt(fl, 'µs', 0)} "
                     "| | | | | |")
    grouped = values(run, "floor", "sqlite", "grouped_us_per_row")
    if grouped:
        lines.append(f"| floor: grouped commit, 100 rows per commit, per row | "
                     f"{fmt(grouped, 'µs', 1)} | | | | | |")
    w3t = run.data.get("W3", {}).get("temporal", [])
    if w3t:
        notes.append("W3 Temporal memory = worker process "
                     f"{fmt([r['worker_rss_per_wf'] / 1024 for r in w3t], 'KB', 1)} + dev "
                     f"server {fmt([r['server_rss_per_wf'] / 1024 for r in w3t], 'KB', 1)}")
    for engine in ("ours", "dbos", "temporal"):
        counts = run.data.get("W4", {}).get(engine, [])
        if counts and "executions" in counts[0]:
            again = [c["reexecuted"] for c in counts]
            execs = [c["executions"] for c in counts]
            notes.append(f"W4 {LABELS[engine]}: {min(execs)}–{max(execs)} step executions "
                         f"for {counts[0]['steps']} steps, {max(again)} executed twice; "
                         f"workflows finished before the kill: "
                         f"{max(c['done_at_kill'] for c in counts)}")
    from .backend_table import backend

    return lines + [""] + [f"- {n}" for n in dict.fromkeys(notes)] + backend(run)




NO_ACTORS = "n/a"
ACTOR_NOTE = ("A1–A3: DBOS and Temporal have no actor model (no processes with mailboxes; "
              "their unit is the durable workflow, measured in W2 and W3), hence n/a")


def actors(run: Run) -> tuple[list[str], list[str]]:
    """The rows of the actor workloads (ours only; the peers are n/a) with their
    targets and, as a reference, what Wippy (Go) states where it states something."""
    lines: list[str] = []
    notes: list[str] = []

    def row(label: str, workload: str, key: str, unit: str, digits: int, scale: float,
            target: str, met: bool | None, reference: str) -> None:
        samples = [v * scale for v in values(run, workload, "ours", key)]
        if not samples:
            return
        verdict = "" if met is None else (": MET" if met else ": **MISSED**")
        lines.append(f"| {label} | {fmt(samples, unit, digits)} | {NO_ACTORS} | {NO_ACTORS} | "
                     f"{NO_ACTORS} | {reference} | {target}{verdict} |")
        notes.append(ACTOR_NOTE)

    def median(workload: str, key: str, scale: float = 1.0) -> float:
        found = values(run, workload, "ours", key)
        return statistics.median(found) * scale if found else float("nan")

    ring = median("A1", "msg_s")
    row(f"A1 message ring of {A1_SIZE:,} processes ({A1_HOPS:,} hops)", "A1", "msg_s",
        "msg/s", 0, 1.0, ">= 500,000 msg/s", ring >= 500_000 if ring == ring else None,
        "Wippy publishes no msg/s figure")
    spawn = median("A2", "spawn_s")
    row(f"A2 spawn rate from Lua ({A2_SPAWNS:,} spawns, call only)", "A2", "spawn_s",
        "spawns/s", 0, 1.0, ">= 50,000/s", spawn >= 50_000 if spawn == spawn else None,
        "Wippy example 18-mass-spawn: 10,000 in ~0.027 s (~370,000/s; an example, not a "
        "benchmark)")
    row("A2 spawn + run + one reply to the parent", "A2", "spawn_run_s", "processes/s", 0,
        1.0, "", None, "")
    idle = median("A3", "rss_per_proc", 1 / 1024)
    reference = (f"Wippy (Go) states ~13 KB per Lua process: {13 / idle:,.1f}x less"
                 if idle == idle else "")
    row(f"A3 memory per idle process ({A3_IDLE:,} blocked on receive), RSS", "A3",
        "rss_per_proc", "KB", 2, 1 / 1024, "<= 4 KB", idle <= 4 if idle == idle else None,
        reference)
    row("A3 the same, Lua heap only", "A3", "lua_per_proc", "KB", 2, 1 / 1024, "", None, "")
    return lines, notes
