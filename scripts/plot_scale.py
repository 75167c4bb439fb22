#!/usr/bin/env python3
"""Plots the scale workloads ("How cost grows") from the CSV(s) that
`cargo bench --bench compare -- --csv FILE` writes beside FILE as FILE-scale.csv:

    python3 scripts/plot_scale.py bench-scale.csv [more.csv ...] docs

writes, into the last argument's directory, for each workload the CSVs hold:
  bench-scale-conns.png   round trips/s and p99 latency against the number of connections N
  bench-scale-accept.png  connections/s against the number of accepting threads K
  bench-scale-memory.png  bytes per open socket (VmRSS and malloc'd) and each type's size_of
Each implementation is one line (or bar); the number beside a chapel-socket point is its
median per-round ratio to std::net (above 1 is faster). Needs matplotlib (`pip install matplotlib`).
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

IMPLS = ["chapel-socket", "std::net", "C"]
COLORS = {"chapel-socket": "#1f77b4", "std::net": "#2ca02c", "C": "#7f7f7f"}
MARKERS = {"chapel-socket": "o", "std::net": "s", "C": "^"}


def read(paths):
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def series(rows, workload, metric):
    """{impl: [(param, value, vs_std)]}, sorted by param."""
    out = {}
    for r in rows:
        if r["workload"] == workload and r["metric"] == metric and r["value"]:
            vs = float(r["vs_std"]) if r["vs_std"] else None
            out.setdefault(r["impl"], []).append((int(r["param"]), float(r["value"]), vs))
    return {k: sorted(v) for k, v in out.items()}


def lines(ax, data, ratios=False, scale=1.0):
    for impl in IMPLS:
        if impl not in data:
            continue
        xs = [p for p, _, _ in data[impl]]
        ys = [v / scale for _, v, _ in data[impl]]
        ax.plot(xs, ys, marker=MARKERS[impl], color=COLORS[impl], label=impl, linewidth=1.5)
        if ratios and impl == "chapel-socket":
            for (x, y, vs) in zip(xs, ys, [vs for _, _, vs in data[impl]]):
                if vs is not None:
                    ax.annotate(f"{vs:.2f}x", (x, y), textcoords="offset points", xytext=(0, -14),
                                ha="center", fontsize=8, color=COLORS[impl])


def conns(rows, out):
    rate = series(rows, "scale_conns", "rate")
    p99 = series(rows, "scale_conns", "latency_p99")
    median = series(rows, "scale_conns", "latency_median")
    if not rate:
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    lines(left, rate, ratios=True, scale=1e3)
    left.set_xscale("log", base=2)
    left.set_ylim(0, max(v for s in rate.values() for _, v, _ in s) / 1e3 * 1.1)
    left.set_xlabel("connections N (a client and a server thread each)")
    left.set_ylabel("round trips/s, all connections (thousands)")
    left.set_title("throughput (label: chapel-socket / std::net)", fontsize=10)
    lines(right, p99)
    for impl in IMPLS:
        if impl in median:
            right.plot([p for p, _, _ in median[impl]], [v for _, v, _ in median[impl]], linestyle=":",
                       color=COLORS[impl], linewidth=1)
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    params = sorted({p for v in rate.values() for p, _, _ in v})
    for ax in (left, right):
        ax.set_xticks(params)
        ax.set_xticklabels([str(p) for p in params])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.grid(True, alpha=0.3)
    right.set_xlabel("connections N")
    right.set_ylabel("round-trip latency, µs")
    right.set_title("p99 latency (solid) and median (dotted)", fontsize=10)
    left.legend(fontsize=8, loc="lower left")
    fig.suptitle("TCP req/resp 1 B over N connections, loopback, one CPU: how cost grows with N")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench-scale-conns.png"), dpi=110)
    plt.close(fig)


def accept(rows, out):
    rate = series(rows, "scale_accept", "rate")
    if not rate:
        return
    fig, ax = plt.subplots(figsize=(7, 4.2))
    lines(ax, rate, ratios=True, scale=1e3)
    params = sorted({p for v in rate.values() for p, _, _ in v})
    ax.set_xscale("log", base=2)
    ax.set_xticks(params)
    ax.set_xticklabels([str(p) for p in params])
    ax.set_ylim(0, max(v for s in rate.values() for _, v, _ in s) / 1e3 * 1.12)
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("threads accepting on one listener K")
    ax.set_ylabel("connections/s (thousands)")
    ax.set_title("connect+accept+close, 500 a set, one listener, one CPU\n"
                 "(label: chapel-socket / std::net)", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench-scale-accept.png"), dpi=110)
    plt.close(fig)


def memory(rows, out):
    per = {r["impl"]: {} for r in rows if r["workload"] == "scale_memory"}
    for r in rows:
        if r["workload"] == "scale_memory":
            per[r["impl"]][r["metric"]] = float(r["value"])
            per[r["impl"]]["pairs"] = int(r["param"])
    if not per:
        return
    sizes = [r for r in rows if r["workload"] == "size_of"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1, 1.4]})
    impls = [i for i in IMPLS if i in per]
    for k, (metric, label) in enumerate([("rss_per_socket", "VmRSS"), ("malloc_per_socket", "malloc'd")]):
        ys = [i + (k - 0.5) * 0.38 for i in range(len(impls))]
        vals = [per[i].get(metric, 0.0) for i in impls]
        bars = left.barh(ys, vals, height=0.36, label=label, color=["#1f77b4", "#aec7e8"][k])
        for bar, v in zip(bars, vals):
            left.text(bar.get_width() + 2, bar.get_y() + bar.get_height() / 2, f"{v:.1f}", va="center",
                      fontsize=8)
    left.set_yticks(range(len(impls)))
    left.set_yticklabels(impls)
    left.invert_yaxis()
    left.set_xlabel("bytes per open socket (both ends of each pair counted)")
    pairs = max(p.get("pairs", 0) for p in per.values())
    left.set_title(f"{pairs} connected pairs open", fontsize=10)
    left.set_xlim(0, max(per[i].get("rss_per_socket", 0) for i in impls) * 1.25 + 10)
    left.legend(fontsize=8, loc="lower right")
    ours = [r for r in sizes if r["impl"] == "chapel-socket"]
    theirs = [r for r in sizes if r["impl"] == "std::net"]
    names = [f"{a['metric']} / {b['metric']}" for a, b in zip(ours, theirs)]
    ys = range(len(names))
    right.barh([y - 0.19 for y in ys], [float(a["value"]) for a in ours], height=0.38, color="#1f77b4",
               label="chapel_socket::…")
    right.barh([y + 0.19 for y in ys], [float(b["value"]) for b in theirs], height=0.38, color="#2ca02c",
               label="std::…")
    right.set_yticks(list(ys))
    right.set_yticklabels(names, fontsize=8)
    right.invert_yaxis()
    right.set_xlabel("size_of, bytes")
    right.set_title("inline size of each type", fontsize=10)
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle("memory per open connection: the crate's per-socket record against std's bare descriptor")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench-scale-memory.png"), dpi=110)
    plt.close(fig)


def main(paths, out):
    rows = read(paths)
    conns(rows, out)
    accept(rows, out)
    memory(rows, out)


if __name__ == "__main__":
    if len(sys.argv) < 3 or not os.path.isdir(sys.argv[-1]):
        sys.exit("usage: plot_scale.py BENCH-scale.csv [MORE.csv ...] OUT_DIR")
    main(sys.argv[1:-1], sys.argv[-1])
