#!/usr/bin/env python3
"""Draws docs/benchmarks.png, the README's picture of docs/benchmarks.json (`make bench`).

Three parts, each with its budgets drawn on it:
1. cold start: init time p50 (dot) to p90 (whisker) per function, the hello-world floor
   and the Node.js peer beside them, log scale; lines at 2x the floor and a fifth of
   the peer (both from their p50);
2. warm latency per operation at p99: the function's own overhead from zero, the time in
   AWS (moto) stacked after it, a tick at the end-to-end p99; a line at the 2 ms
   overhead budget;
3. footprint: peak RSS per function (32 MiB), stripped release binary (8 MiB) and zipped
   arm64 bootstrap (4 MiB) per binary.

A value the bench could not measure is null in the JSON and shows as "not measured".

Usage: chart.py [--input docs/benchmarks.json] [--output docs/benchmarks.png]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI or over ssh

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib import ticker  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCHEMA = 1
MIB = 1024 * 1024

# The performance budgets that are fixed numbers; the init budgets derive from the floor and
# the peer measured in the same run.
OVERHEAD_P99_BUDGET_MS = 2.0
PEAK_RSS_BUDGET_MIB = 32.0
STRIPPED_BUDGET_MIB = 8.0
ZIP_ARM64_BUDGET_MIB = 4.0
INIT_FLOOR_FACTOR = 2.0
INIT_PEER_DIVISOR = 5.0

ROLE_COLOURS = {"crabcart": "#d9480f", "floor": "#868e96", "peer": "#2f9e44"}
ROLE_LABELS = {
    "crabcart": "crabcart function",
    "floor": "hello-world floor",
    "peer": "Node.js peer",
}
AWS_COLOUR = "#74c0fc"
BUDGET_COLOUR = "#212529"
OVER_BUDGET_COLOUR = "#c92a2a"
MUTED = "#868e96"
ROW_INCHES = 0.27


@dataclass(frozen=True)
class Row:
    """One bar of a panel: its label, the role that colours it, and its value (or None)."""

    label: str
    role: str
    value: float | None


def number(node: object, *path: str) -> float | None:
    """The number at `path` inside `node`, or None where any step is missing or null."""
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return float(node) if isinstance(node, (int, float)) else None


def short_name(function: dict) -> str:
    """A function's logical id without the "Function" every id ends with."""
    return function["name"].removesuffix("Function")


def ordered(functions: list[dict]) -> list[dict]:
    """crabcart's functions in the bench's order, then the floor, then the peer."""
    rank = {"crabcart": 0, "floor": 1, "peer": 2}
    return sorted(functions, key=lambda f: rank.get(f.get("role"), 3))


def role_of(function: dict) -> str:
    """The function's role; an unknown one is drawn as crabcart's, the budgets' subject."""
    role = function.get("role")
    return role if role in ROLE_COLOURS else "crabcart"


def reference_init_p50(functions: list[dict], role: str) -> float | None:
    """Init p50 of the floor or the peer, the base of an init budget."""
    for function in functions:
        if function.get("role") == role:
            return number(function, "init_ms", "p50")
    return None


def mark_missing(ax: Axes, y: int) -> None:
    """Says "not measured" in row `y`, where a null value would otherwise leave a gap."""
    # x in axes fraction so the note clears the spine on linear and log scales alike
    ax.text(
        0.01,
        y,
        "not measured",
        transform=ax.get_yaxis_transform(),
        va="center",
        ha="left",
        fontsize=8,
        color=MUTED,
        style="italic",
    )


def style_rows(ax: Axes, labels: list[str]) -> None:
    """One labelled row per bar, first at the top, with a light vertical grid."""
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # first row at the top
    ax.grid(axis="x", color="#e9ecef", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def outside_legend(ax: Axes, handles: list) -> None:
    """The legend right of the panel, where it can hide no bar whatever the data."""
    ax.legend(handles=handles, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def budget_line(ax: Axes, x: float, label: str, style: str = "--") -> Line2D:
    """A budget as a vertical line across the panel; returned for the legend."""
    return ax.axvline(x, color=BUDGET_COLOUR, linestyle=style, linewidth=1.1, label=label)


def draw_init(ax: Axes, functions: list[dict]) -> None:
    """Panel 1: init p50 and p90 per function on a log scale, with the two init budgets."""
    labels = [short_name(f) for f in functions]
    values = [
        v
        for f in functions
        for v in (number(f, "init_ms", "p50"), number(f, "init_ms", "p90"))
        if v is not None and v > 0
    ]
    low = min(values, default=1.0) / 2
    for y, function in enumerate(functions):
        p50 = number(function, "init_ms", "p50")
        p90 = number(function, "init_ms", "p90")
        colour = ROLE_COLOURS[role_of(function)]
        if p50 is None or p50 <= 0:
            mark_missing(ax, y)
            continue
        ax.hlines(y, low, p50, color=colour, linewidth=2, alpha=0.35)
        if p90 is not None and p90 > p50:
            ax.errorbar(p50, y, xerr=[[0], [p90 - p50]], fmt="none", ecolor=colour, capsize=3)
        ax.plot(p50, y, "o", color=colour, markersize=6)
        ax.text(max(p50, p90 or p50) * 1.12, y, f"{p50:.1f} ms", va="center", fontsize=7.5)

    roles = {role_of(f) for f in functions}
    handles: list[object] = [
        Line2D([], [], marker="o", color=ROLE_COLOURS[r], linestyle="", label=ROLE_LABELS[r])
        for r in ROLE_COLOURS
        if r in roles
    ]
    handles.append(Line2D([], [], marker="|", color="black", linestyle="", label="whisker: p90"))
    floor = reference_init_p50(functions, "floor")
    if floor is not None:
        limit = floor * INIT_FLOOR_FACTOR
        handles.append(
            budget_line(ax, limit, f"budget {INIT_FLOOR_FACTOR:g}x floor ({limit:.1f} ms)")
        )
    peer = reference_init_p50(functions, "peer")
    if peer is not None:
        limit = peer / INIT_PEER_DIVISOR
        handles.append(
            budget_line(ax, limit, f"budget peer/{INIT_PEER_DIVISOR:g} ({limit:.1f} ms)", ":")
        )
    high = max(values, default=10.0) * 2.2
    ax.set_xscale("log")
    ax.set_xlim(left=low, right=high)
    plain = ticker.FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    # Under two decades the 2..9 ticks are the only labels there are; over it they crowd.
    ax.xaxis.set_minor_formatter(plain if high / low < 100 else ticker.NullFormatter())
    ax.set_xlabel("init time, ms (log scale): p50 dot, p90 whisker")
    ax.set_title("Cold start: init time per function", loc="left", fontweight="bold")
    style_rows(ax, labels)
    outside_legend(ax, handles)


def draw_warm(ax: Axes, functions: list[dict]) -> None:
    """Panel 2: per operation, overhead p99 then AWS p99 stacked, end-to-end p99 ticked."""
    labels: list[str] = []
    ends: list[float] = []
    y = 0
    for function in functions:
        colour = ROLE_COLOURS[role_of(function)]
        # Operations with their AWS calls counted but not timed have no bar to draw.
        timed = [op for op in function.get("ops") or [] if op.get("warm_ms") is not None]
        for op in timed:
            labels.append(f"{short_name(function)}  {op.get('name', '?')}")
            overhead = number(op, "overhead_ms", "p99")
            aws = number(op, "aws_ms", "p99")
            warm = number(op, "warm_ms", "p99")
            if overhead is not None:
                ax.barh(y, overhead, color=colour, height=0.62)
            if aws is not None:
                ax.barh(y, aws, left=overhead or 0.0, color=AWS_COLOUR, height=0.62)
            if overhead is None and aws is None and warm is not None:
                ax.barh(y, warm, color=colour, alpha=0.4, height=0.62, hatch="///")
            if warm is not None:
                ax.plot(warm, y, "|", color="black", markersize=11, markeredgewidth=1.6)
            end = max(v for v in (warm, (overhead or 0.0) + (aws or 0.0), 0.0) if v is not None)
            if warm is None and overhead is None and aws is None:
                mark_missing(ax, y)
            else:
                calls = (op.get("round_trips") or {}).get("calls")
                note = f"{warm:.1f} ms" if warm is not None else ""
                if isinstance(calls, int):
                    note += f"  ({calls} AWS call{'s' if calls != 1 else ''})"
                ax.text(end, y, "  " + note, va="center", fontsize=7.5)
            ends.append(end)
            y += 1
        if function.get("role") == "crabcart" and function.get("ops"):
            ax.axhline(y - 0.5, color="#f1f3f5", linewidth=0.8)

    budget = budget_line(
        ax, OVERHEAD_P99_BUDGET_MS, f"overhead budget {OVERHEAD_P99_BUDGET_MS:g} ms"
    )
    handles = [
        Patch(color=ROLE_COLOURS["crabcart"], label="function overhead p99"),
        Patch(color=AWS_COLOUR, label="AWS (moto) time p99"),
        Line2D(
            [], [], marker="|", color="black", linestyle="", markersize=10, label="end-to-end p99"
        ),
        Patch(color=ROLE_COLOURS["floor"], label="floor / peer overhead p99", alpha=0.9),
        budget,
    ]
    ax.set_xlim(0, max(ends + [OVERHEAD_P99_BUDGET_MS]) * 1.35)
    ax.set_xlabel("warm latency p99, ms: overhead from zero, AWS time stacked after it")
    ax.set_title("Warm invocations: p99 per operation", loc="left", fontweight="bold")
    style_rows(ax, labels)
    outside_legend(ax, handles)


def draw_footprint(ax: Axes, rows: list[Row], budget: float, title: str, unit: str) -> None:
    """Panel 3 (one of three): a bar per row against a fixed budget; crabcart's over it crossed."""
    measured = [r.value for r in rows if r.value is not None]
    for y, row in enumerate(rows):
        if row.value is None:
            mark_missing(ax, y)
            continue
        over = row.role == "crabcart" and row.value > budget  # the budgets are crabcart's
        ax.barh(
            y,
            row.value,
            height=0.62,
            color=ROLE_COLOURS[row.role],
            edgecolor=OVER_BUDGET_COLOUR if over else "none",
            linewidth=1.5,
            hatch="xx" if over else None,
        )
        ax.text(row.value, y, f" {row.value:.1f}", va="center", fontsize=7.5)
    budget_line(ax, budget, "budget")
    ax.set_xlim(0, max(measured + [budget]) * 1.3)
    ax.set_xlabel(f"{unit} (dashed: budget {budget:g} {unit}; crossed: over it)")
    ax.set_title(title, loc="left", fontweight="bold", fontsize=10)
    style_rows(ax, [r.label for r in rows])


def binary_rows(functions: list[dict], key: str) -> list[Row]:
    """One row per distinct binary (several functions share outbox-publisher)."""
    rows: dict[str, Row] = {}
    for function in functions:
        label = function.get("binary") or function["name"]
        size = number(function, "size", key)
        if not function.get("binary") and size is None:
            continue  # the peer is a script: no binary to measure
        if label not in rows or rows[label].value is None:
            rows[label] = Row(label, role_of(function), None if size is None else size / MIB)
    return list(rows.values())


def draw(document: dict, output: Path) -> None:
    """The whole figure for one benchmarks.json document, written to `output` as PNG."""
    functions = ordered(document.get("functions") or [])
    if not functions:
        raise ValueError("the JSON names no function")
    op_count = sum(
        1 for f in functions for op in f.get("ops") or [] if op.get("warm_ms") is not None
    )
    stripped = binary_rows(functions, "stripped_bytes")
    zipped = binary_rows(functions, "zip_arm64_bytes")
    footprint_rows = max(len(functions), len(stripped), 1)
    heights = [len(functions) + 3, op_count + 3, footprint_rows + 3]

    fig = plt.figure(figsize=(13, ROW_INCHES * sum(heights) + 1.2), layout="constrained")
    fig.get_layout_engine().set(hspace=0.04, wspace=0.06)
    grid = fig.add_gridspec(3, 3, height_ratios=heights)
    draw_init(fig.add_subplot(grid[0, :]), functions)
    draw_warm(fig.add_subplot(grid[1, :]), functions)
    rss = [Row(short_name(f), role_of(f), number(f, "peak_rss_mib")) for f in functions]
    draw_footprint(fig.add_subplot(grid[2, 0]), rss, PEAK_RSS_BUDGET_MIB, "Peak RSS", "MiB")
    draw_footprint(
        fig.add_subplot(grid[2, 1]), stripped, STRIPPED_BUDGET_MIB, "Stripped binary", "MiB"
    )
    draw_footprint(
        fig.add_subplot(grid[2, 2]), zipped, ZIP_ARM64_BUDGET_MIB, "Zipped arm64 bootstrap", "MiB"
    )

    machine = document.get("machine") or {}
    settings = document.get("settings") or {}
    subtitle = "  |  ".join(
        part
        for part in (
            str(machine.get("cpu") or ""),
            f"{machine['cores']} cores" if machine.get("cores") else "",
            str(machine.get("rustc") or ""),
            f"node {machine['node']}" if machine.get("node") else "",
            f"{settings['cold_starts']} cold starts" if settings.get("cold_starts") else "",
            f"{settings['warm_invokes']} warm invokes" if settings.get("warm_invokes") else "",
        )
        if part
    )
    fig.suptitle(
        f"crabcart benchmarks ({document.get('generated_at', 'undated')})\n{subtitle}",
        x=0.06,
        ha="left",
        fontsize=11,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=110, bbox_inches="tight", facecolor="white")
    plt.close(fig)


def main() -> int:
    """Reads the JSON, draws the PNG; 1 with a message when the JSON cannot be drawn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=REPO / "docs" / "benchmarks.json")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.png")
    args = parser.parse_args()
    try:
        document = json.loads(args.input.read_text())
    except (OSError, json.JSONDecodeError) as error:
        print(f"chart.py: cannot read {args.input}: {error}", file=sys.stderr)
        return 1
    if document.get("schema") != SCHEMA:
        print(
            f"chart.py: {args.input} is schema {document.get('schema')!r}; this draws {SCHEMA}",
            file=sys.stderr,
        )
        return 1
    try:
        draw(document, args.output)
    except ValueError as error:
        print(f"chart.py: {args.input}: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
