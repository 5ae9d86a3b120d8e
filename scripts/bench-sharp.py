#!/usr/bin/env python3
"""Benchmark of the sharp upper bound's branch and bound (issue 16).

Sections (each can be skipped):
  issue   the random 4x4x3 table of the issue (numpy default_rng(1),
          Dirichlet(1) over 48 cells): the bounds at the default node budget
          and with --issue-seconds (default 30) on one rank;
  closing time to close (gap <= 1e-6 bits) against the polytope dimension,
          one seeded Dirichlet(1) table per shape, capped at --cap seconds;
  speed   `bounds` at default options on 20x20x2 and 20x20x10 pairwise
          tables (median wall time of --runs runs);
  study   --tables seeded random 4x4x3 tables with --study-seconds each on
          --ranks ranks: mean gap of the certified bound to the true S
          against the paper's, share closed, mean certified-minus-inner gap.
  validity --validity-tables seeded random tables over several shapes, the
          branch and bound at node budgets from 5 to 5,000 on one rank: the
          certified bound must not fall below the exact maximum (vertex
          enumeration where it runs, the true S otherwise) and the inner
          value must not exceed the certified bound (nor, where enumeration
          runs, the exact maximum). Prints every violation and a summary.

Usage: scripts/bench-sharp.py [--binary PATH] [--sections issue,closing,speed,study,validity]
       [--issue-seconds 30] [--cap 60] [--shapes 3x3x3,3x3x4,4x3x3,4x4x3] [--closing-seeds 7]
       [--closing-ranks 1] [--tables 100] [--study-seconds 10] [--ranks 2] [--runs 5]
       [--validity-tables 1000]
Build first: swift build -c release. Prints one JSON object per line.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def write(directory, name, obj):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


def run(binary, args, ranks=None, timeout=3600):
    command = [binary] + args + ["--format", "json"]
    env = dict(os.environ)
    if ranks:
        command = ["mpirun", "--timeout", str(timeout), "-np", str(ranks)] + command
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl="self,vader")
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out), time.perf_counter() - start


def summary(report, seconds):
    b = report["bounds"]
    return {
        "S": report["pid"].get("S"), "S_upper_paper": b["S_upper_paper"], "S_upper_meet": b["S_upper_meet"],
        "S_upper_sharp": b["S_upper_sharp"], "S_upper_inner": b["S_upper_inner"],
        "S_upper_sharp_gap": b["S_upper_sharp_gap"], "sharp_nodes": b["sharp_nodes"], "sharp_stop": b["sharp_stop"],
        "polytope_dimension": b["polytope_dimension"], "seconds": round(seconds, 2),
    }


def joint(shape, seed):
    n = int(np.prod(shape))
    return np.random.default_rng(seed).dirichlet(np.ones(n)).reshape(shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "pidbounds"))
    ap.add_argument("--sections", default="issue,closing,speed,study")
    ap.add_argument("--issue-seconds", type=float, default=30)
    ap.add_argument("--cap", type=float, default=60)
    ap.add_argument("--shapes", default="2x2x9,3x3x3,3x3x4,4x3x3,4x4x3")
    ap.add_argument("--tables", type=int, default=100)
    ap.add_argument("--study-seconds", type=float, default=10)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--closing-seeds", default="7")
    ap.add_argument("--closing-ranks", type=int, default=1)
    ap.add_argument("--validity-tables", type=int, default=1000)
    a = ap.parse_args()
    sections = a.sections.split(",")
    unlimited = ["--sharp-nodes", "1000000000"]
    with tempfile.TemporaryDirectory() as d:
        if "issue" in sections:
            path = write(d, "issue.json", {"p": joint((4, 4, 3), 1).tolist()})
            print(json.dumps({"section": "issue", "budget": "default nodes", **summary(*run(a.binary, ["pid", "--joint", path]))}))
            print(json.dumps({"section": "issue", "budget": f"{a.issue_seconds} s", **summary(*run(
                a.binary, ["pid", "--joint", path, "--sharp-seconds", str(a.issue_seconds)] + unlimited))}))
        if "closing" in sections:
            for text in a.shapes.split(","):
                shape = tuple(int(x) for x in text.split("x"))
                for seed in (int(x) for x in a.closing_seeds.split(",")):
                    path = write(d, f"{text}.json", {"p": joint(shape, seed).tolist()})
                    print(json.dumps({"section": "closing", "shape": text, "seed": seed, "ranks": a.closing_ranks,
                                      "cap_seconds": a.cap, **summary(*run(
                        a.binary, ["pid", "--joint", path, "--sharp-seconds", str(a.cap)] + unlimited,
                        ranks=a.closing_ranks if a.closing_ranks > 1 else None))}), flush=True)
        if "speed" in sections:
            for shape in [(20, 20, 2), (20, 20, 10)]:
                p = joint(shape, 3)
                path = write(d, "pairwise.json", {"p_x1y": p.sum(1).tolist(), "p_x2y": p.sum(0).tolist(), "p_x1x2": p.sum(2).tolist()})
                times = [run(a.binary, ["bounds", "--marginals", path])[1] for _ in range(a.runs)]
                print(json.dumps({"section": "speed", "shape": "x".join(map(str, shape)), "command": "bounds (default options)",
                                  "median_seconds": round(statistics.median(times), 3)}))
        if "study" in sections:
            rows = []
            for seed in range(a.tables):
                path = write(d, "study.json", {"p": joint((4, 4, 3), 1000 + seed).tolist()})
                s = summary(*run(a.binary, ["pid", "--joint", path, "--sharp-seconds", str(a.study_seconds)] + unlimited,
                                 ranks=a.ranks if a.ranks > 1 else None))
                rows.append(s)
            paper = statistics.mean(r["S_upper_paper"] - r["S"] for r in rows)
            sharp = statistics.mean(r["S_upper_sharp"] - r["S"] for r in rows)
            print(json.dumps({
                "section": "study", "shape": "4x4x3", "tables": a.tables, "seconds_each": a.study_seconds, "ranks": a.ranks,
                "mean_gap_paper": round(paper, 4), "mean_gap_certified": round(sharp, 4),
                "certified_over_paper": round(sharp / paper, 3),
                "mean_gap_inner": round(statistics.mean(r["S_upper_inner"] - r["S"] for r in rows), 4),
                "share_closed": sum(r["sharp_stop"] == "closed" for r in rows) / len(rows),
                "mean_certified_minus_inner": round(statistics.mean(r["S_upper_sharp_gap"] for r in rows), 4),
                "mean_nodes": round(statistics.mean(r["sharp_nodes"] for r in rows)),
            }))
        if "validity" in sections:
            validity(a, d)


def validity(a, d):
    # (shape, share of the tables): vertex enumeration runs on the first six
    # (dimension at most 4, within its default limit).
    shapes = [((2, 2, 3), 0.1), ((3, 3, 2), 0.1), ((2, 3, 3), 0.1), ((2, 2, 5), 0.1), ((2, 4, 2), 0.05),
              ((2, 5, 2), 0.05), ((3, 3, 3), 0.15), ((3, 3, 4), 0.1), ((4, 3, 3), 0.1), ((4, 4, 3), 0.15)]
    budgets = [5, 50, 500, 5000]
    counts = {"tables": 0, "against_enumeration": 0, "against_true_S": 0, "closed": 0, "violations": 0}
    worst = {"certified_minus_exact_min": float("inf"), "certified_minus_inner_min": float("inf")}
    start = time.perf_counter()
    for shape, share in shapes:
        for i in range(round(share * a.validity_tables)):
            seed = 5000 + counts["tables"]
            nodes = budgets[counts["tables"] % len(budgets)]
            path = write(d, "validity.json", {"p": joint(shape, seed).tolist()})
            searched, _ = run(a.binary, ["pid", "--joint", path, "--sharp-dimension", "0", "--sharp-nodes", str(nodes)])
            b = searched["bounds"]
            exact = run(a.binary, ["pid", "--joint", path])[0] if b["polytope_dimension"] <= 4 else None
            enumerable = exact is not None and exact["bounds"]["sharp_method"] == "vertex enumeration"
            if enumerable:
                # Enumeration adds 1e-9 bits for its own rounding.
                reference = exact["bounds"]["S_upper_sharp"] - 2e-9
                counts["against_enumeration"] += 1
            else:
                reference = searched["pid"]["S"] - 1e-9
                counts["against_true_S"] += 1
            counts["tables"] += 1
            counts["closed"] += b["sharp_stop"] == "closed"
            certified, inner = b["S_upper_sharp"], b["S_upper_inner"]
            worst["certified_minus_exact_min"] = min(worst["certified_minus_exact_min"], certified - reference)
            worst["certified_minus_inner_min"] = min(worst["certified_minus_inner_min"], certified - inner)
            problems = []
            if certified < reference:
                problems.append("certified below the exact maximum")
            if inner > certified + 1e-12:
                problems.append("inner above the certified bound")
            if enumerable and inner > reference + 4e-9:
                problems.append("inner above the exact maximum")
            if problems:
                counts["violations"] += 1
                print(json.dumps({"section": "validity", "violation": problems, "shape": "x".join(map(str, shape)),
                                  "seed": seed, "nodes": nodes, "certified": certified, "inner": inner,
                                  "reference": reference}), flush=True)
    print(json.dumps({"section": "validity", **counts, "node_budgets": budgets,
                      **{k: float("%.3g" % v) for k, v in worst.items()},
                      "seconds": round(time.perf_counter() - start)}))


if __name__ == "__main__":
    sys.exit(main())
