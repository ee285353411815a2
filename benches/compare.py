"""gdlab against the PyTorch reference, in one sitting: rounds that alternate the two tools.

Run:  python3 benches/compare.py [--rounds 5] [--repeat 5] [--gdlab target/release/gdlab]
Needs torch (see reference.py) and a release build of gdlab. On a shared or noisy machine a
single pair of runs can be off by 30% either way; alternating rounds and reporting the median
of the per-round ratios (and their range) keeps one slow moment from deciding the result.
Prints a Markdown table.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--gdlab", default=os.path.join(HERE, "..", "target", "release", "gdlab"))
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    workloads = ("W1", "W2", "W3")
    ours = {w: [] for w in workloads}
    theirs = {w: [] for w in workloads}
    for r in range(a.rounds):
        g = {w: run_json([a.gdlab, "bench", "--workload", w, "--repeat", str(a.repeat), "--json"])[w] for w in workloads}
        t = run_json([sys.executable, os.path.join(HERE, "reference.py"), "--repeat", str(a.repeat), "--threads", str(a.threads), "--json"])
        for w in workloads:
            ours[w].append(g[w]["steps_per_s"])
            theirs[w].append(t[w]["steps_per_s"])
        print(f"round {r + 1}: " + ", ".join(f"{w} {g[w]['steps_per_s']:.0f} vs {t[w]['steps_per_s']:.0f}" for w in workloads), file=sys.stderr)
    print("| workload | gdlab flex steps/s | PyTorch steps/s | ratio (median of rounds) | ratio range |")
    print("|---|---|---|---|---|")
    for w in workloads:
        ratios = [o / t for o, t in zip(ours[w], theirs[w])]
        print(
            f"| {w} | {statistics.median(ours[w]):.0f} | {statistics.median(theirs[w]):.0f} | "
            f"{statistics.median(ratios):.2f}x | {min(ratios):.2f}x to {max(ratios):.2f}x |"
        )


if __name__ == "__main__":
    main()
