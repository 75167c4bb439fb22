#!/usr/bin/env python3
"""Plots each implementation's speed relative to std::net per workload from the CSV that
`cargo bench --bench compare -- --csv FILE` writes.

    python3 scripts/plot_benchmarks.py bench.csv docs/bench-ratio.png

Bars are the median of the per-round ratios of medians (above 1 is faster than std::net);
the whiskers span their interquartile range, i.e. how much of the difference is noise. Needs matplotlib
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
    # Offloads run tens of times faster than std::net; drawn to scale they would flatten every
    # other bar, so bars stop at CAP and their label gives the whole ratio.
    CAP = 2.0
    bars = []
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
            clipped = ratio > CAP
            lo.append(0.0 if clipped else max(0.0, ratio - float(r["vs_std_q1"] or ratio)))
            hi.append(0.0 if clipped else max(0.0, float(r["vs_std_q3"] or ratio) - ratio))
        drawn = [min(ratio, CAP) for ratio in ratios]
        ax.barh(ys, drawn, height=height, color=COLORS[impl], label=impl, xerr=[lo, hi],
                error_kw={"elinewidth": 0.8, "capsize": 2})
        bars.append((ys, ratios))
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    low = min(float(r["vs_std_q1"] or r["vs_std"]) for r in rows if r["impl"] in SHOWN)
    high = min(CAP, max(float(r["vs_std_q3"] or r["vs_std"]) for r in rows if r["impl"] in SHOWN))
    left = min(0.6, low - 0.1)
    ax.set_xlim(left, max(1.2, high + 0.05))
    for ys, ratios in bars:
        for y, ratio in zip(ys, ratios):
            mark = " (bar cut)" if ratio > CAP else ""
            ax.text(left + 0.01, y, f"{ratio:.2f}x{mark}", va="center", fontsize=7, color="white")
    ax.set_xlabel("speed relative to std::net (median of per-round ratios; whiskers: interquartile range)")
    ax.set_title("chapel-socket benchmark: ratio to std::net per workload (loopback, IPv4)", pad=28)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(SHOWN), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot_benchmarks.py BENCH.csv OUT.png")
    main(sys.argv[1], sys.argv[2])
