#!/usr/bin/env python3
"""Draws docs/load.png, the picture of docs/load.json (`make load`).

Each order is a dot: when its POST was answered (x, seconds into the load) and how long it
then took to settle (y), coloured by how it ended; lines at the p95 and at the lone
order's time to settle.

Usage: chart.py [--input docs/load.json] [--output docs/load.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI or over ssh

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

COLOURS = {
    "confirmed": "#2f9e44",
    "rejected": "#d9480f",
    "cancelled": "#1971c2",
    "never settled": "#000000",
}


def outcome(order: dict) -> str:
    if order["settle_seconds"] is None:
        return "never settled"
    if order["cancelled"]:
        return "cancelled"
    return order["status"].lower()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=Path("docs/load.json"))
    parser.add_argument("--output", type=Path, default=Path("docs/load.png"))
    args = parser.parse_args()
    report = json.loads(args.input.read_text())

    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=120)
    for name, colour in COLOURS.items():
        orders = [o for o in report["orders"] if outcome(o) == name]
        if not orders:
            continue
        ax.scatter(
            [o["placed_at"] for o in orders],
            [o["settle_seconds"] or 0 for o in orders],
            s=9,
            color=colour,
            label=f"{name} ({len(orders)})",
        )
    ax.axhline(report["settle"]["p95"], color="#868e96", linestyle="--", linewidth=1,
               label=f"p95 {report['settle']['p95']:.2f} s")
    ax.axhline(report["lone_order_seconds"], color="#868e96", linestyle=":", linewidth=1,
               label=f"a lone order {report['lone_order_seconds']:.2f} s")
    plan = report["plan"]
    ax.set_title(
        f"{plan['shoppers']} shoppers, {plan['orders']} orders: "
        f"{report['orders_per_second']:.1f} orders/s settled"
    )
    ax.set_xlabel("seconds into the load (POST answered)")
    ax.set_ylabel("seconds from POST to settled")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.output)


if __name__ == "__main__":
    main()
