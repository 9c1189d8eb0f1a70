"""Issue 23: the core's ``min_cluster_size`` rule on the bench corpora with a forced small core.

Runs the `fast` pipeline with ``cluster.fit_sample`` forced to S and the core's size from one of
the rules (scaled: auto(N)·S/N as issue 9 shipped; autoS: auto resolved on the core; geo: their
geometric mean; cap1000: scaled but ≥ S/1000, what ships). At S = 2,000 cap1000 equals scaled.
Usage: ``python bench/core_rules.py S rules corpora``; rows appended to
``bench/results/core_rules.jsonl`` (work folder /work/exp23/fs, caches reused).
"""

import json
import math
import sys
from pathlib import Path

import topics.assign.core as core_mod
from topics.cluster.hdbscan_stage import auto_min_cluster_size, resolve_min_cluster_size
from topics.pipeline import run_pipeline

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fit_sample import CORPORA, config_for  # noqa: E402


def rule(name):
    def f(section, n, s):
        full = resolve_min_cluster_size(section, n)
        scaled = max(3, round(full * s / n))
        auto_s = auto_min_cluster_size(s)
        v = {
            "scaled": scaled,
            "autoS": auto_s,
            "cap1000": max(scaled, math.ceil(s / 1000)),
            "geo": round(math.sqrt(scaled * auto_s)),
        }[name]
        return section.model_copy(update={"min_cluster_size": v})

    return f


work = Path("/work/exp23/fs")
sample = int(sys.argv[1])
rules = sys.argv[2].split(",")
corpora = sys.argv[3].split(",")
for c in corpora:
    path, label = CORPORA[c]
    for r in rules:
        core_mod.core_hdbscan = rule(r)
        cfg = config_for(path, label, work, f"cluster.fit_sample={sample}", "run.name=fs")
        m = run_pipeline(cfg).manifest
        row = {
            "corpus": c,
            "S": sample,
            "rule": r,
            "nmi_all": m["metrics"].get("nmi_all"),
            "topics": m["counts"]["topics"],
        }
        print(json.dumps(row), flush=True)
        with open(HERE / "results" / "core_rules.jsonl", "a") as fh:
            fh.write(json.dumps(row) + "\n")
