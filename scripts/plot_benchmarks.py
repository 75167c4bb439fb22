#!/usr/bin/env python3
"""Plots each implementation's speed relative to std::net per workload from the CSV that
`cargo bench --bench compare -- --csv FILE` writes.

    python3 scripts/plot_benchmarks.py bench.csv docs/bench-ratio.png

Bars are the ratio of medians (above 1 is faster than std::net); the whiskers span the lowest
and highest per-round ratio, i.e. how much of the difference is noise. Needs matplotlib
(`pip install matplotlib`).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SHOWN = ["chapel-socket", "socket2", "C"]
COLORS = {"chapel-socket": "#1f77b4", "socket2": "#ff7f0e", "C": "#7f7f7f"}


def main(csv_path, png_path):
    with open(csv_path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["vs_std"]]
    labels = list(dict.fromkeys(r["label"] for r in rows))
    by_key = {(r["label"], r["impl"]): r for r in rows}
    height = 0.8 / len(SHOWN)
    fig, ax = plt.subplots(figsize=(9, 0.9 * len(labels) + 1.5))
    for k, impl in enumerate(SHOWN):
        ys, ratios, lo, hi = [], [], [], []
        for i, label in enumerate(labels):
            r = by_key.get((label, impl))
            if r is None:
                continue
            ratio = float(r["vs_std"])
            ys.append(i + (k - (len(SHOWN) - 1) / 2) * height)
            ratios.append(ratio)
            lo.append(ratio - float(r["vs_std_min"] or ratio))
            hi.append(float(r["vs_std_max"] or ratio) - ratio)
        ax.barh(ys, ratios, height=height, color=COLORS[impl], label=impl, xerr=[lo, hi],
                error_kw={"elinewidth": 0.8, "capsize": 2})
        for y, ratio in zip(ys, ratios):
            ax.text(ratio + 0.01, y, f"{ratio:.2f}", va="center", fontsize=7)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    low = min(float(r["vs_std_min"] or r["vs_std"]) for r in rows if r["impl"] in SHOWN)
    high = max(float(r["vs_std_max"] or r["vs_std"]) for r in rows if r["impl"] in SHOWN)
    ax.set_xlim(min(0.6, low - 0.05), max(1.2, high + 0.08))
    ax.set_xlabel("speed relative to std::net (ratio of medians; whiskers: per-round min-max)")
    ax.set_title("chapel-socket benchmark: ratio to std::net per workload (loopback, IPv4)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot_benchmarks.py BENCH.csv OUT.png")
    main(sys.argv[1], sys.argv[2])
