"""Issue 23: why NMI drops at 1M with fit-on-a-sample — the core's HDBSCAN size and the vote.

Builds ``bench/scale.py``'s synthetic corpus of N abstracts (seed 42), embeds it with the
shipped `distilled` table, fits UMAP on the pipeline's 50k core (``core_rows``), then clusters
the core with several ``min_cluster_size`` rules and votes the rest in (all neighbours, or
clustered neighbours only); outliers are then filled by the nearest topic centroid, as the
``embeddings`` outlier strategy does. NMI against the corpus's source groups.

Usage: ``python bench/core_size.py N [S] [modes]`` (modes: scaled, autoS, mcsK,
scaled-clustered, autoS-clustered); work files in /work/exp23 (vectors, UMAP, neighbours cached),
rows appended to ``bench/results/core_size.jsonl``. ~6 min at 1M here.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scale import build_corpus
from sklearn.metrics import normalized_mutual_info_score as nmi

from topics.assign.core import core_hdbscan
from topics.assign.knn import Neighbours, core_rows, nearest_rows, vote
from topics.cluster.hdbscan_stage import auto_min_cluster_size, cluster
from topics.cluster.umap_stage import reduce
from topics.config import RunConfig
from topics.corpus.clean import normalise_text
from topics.embed.distilled import DistilledEmbedder
from topics.types import Embeddings, Reduced

W = Path("/work/exp23")
N = int(sys.argv[1])
S = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
corpus = W / f"corpus-{N}.jsonl"
if not corpus.exists():
    t = time.time()
    build_corpus(N, 42, corpus)
    print("built", time.time() - t, flush=True)
vec_path, lab_path = W / f"vec-{N}.npy", W / f"lab-{N}.npy"
if not vec_path.exists():
    texts, labels = [], []
    with corpus.open() as f:
        for line in f:
            r = json.loads(line)
            texts.append(normalise_text(r["abstract"]))
            labels.append(r["label"])
    t = time.time()
    v = DistilledEmbedder().embed(texts, [str(i) for i in range(len(texts))])
    print("embedded", time.time() - t, flush=True)
    np.save(vec_path, v)
    np.save(lab_path, np.unique(labels, return_inverse=True)[1])
vectors = np.load(vec_path, mmap_mode="r")
truth = np.load(lab_path)
print("classes", len(np.unique(truth)))
config = RunConfig()
core = core_rows(N, S, 42)
if core is None:
    core = np.arange(N)
red_path = W / f"red-{N}-{S}.npy"
if not red_path.exists():
    t = time.time()
    emb = Embeddings(
        vectors=np.asarray(vectors[core]), backend="distilled", cache_key="x", from_cache=False
    )
    red = reduce(emb, config.umap, 42)
    np.save(red_path, red.coords)
    print("umap", time.time() - t, flush=True)

coords = np.load(red_path)
reduced = Reduced(coords=coords, cache_key="x", reducer=None, from_cache=True)
rest = np.setdiff1d(np.arange(N), core)
nb_path = W / f"nb-{N}-{S}.npz"
if len(rest) and not nb_path.exists():
    t = time.time()
    nb = nearest_rows(np.asarray(vectors[core]), vectors, rest, 15, 42)
    np.savez(nb_path, i=nb.indices, s=nb.similarities)
    print("knn", time.time() - t, flush=True)
if len(rest):
    z = np.load(nb_path)
    nb = Neighbours(z["i"], z["s"])


def centroid_fill(labels):
    """the 'embeddings' outlier strategy: nearest topic mean vector (cosine)"""
    labels = labels.copy()
    out = labels == -1
    ks = np.unique(labels[~out])
    cent = np.stack([np.asarray(vectors[np.flatnonzero(labels == k)[:5000]]).mean(0) for k in ks])
    cent /= np.linalg.norm(cent, axis=1, keepdims=True)
    idx = np.flatnonzero(out)
    for s in range(0, len(idx), 50000):
        b = idx[s : s + 50000]
        labels[b] = ks[np.argmax(np.asarray(vectors[b]) @ cent.T, axis=1)]
    return labels


def evaluate(name, mcs, vote_mode="all"):
    section = config.hdbscan.model_copy(update={"min_cluster_size": mcs})
    t = time.time()
    cl = cluster(reduced, section, 42)
    ct = time.time() - t
    full = np.empty(N, dtype=np.int64)
    full[core] = cl.labels
    if len(rest):
        if vote_mode == "all":
            lab, _ = vote(cl.labels, nb)
        else:  # clustered neighbours only; a query with none stays an outlier
            cl_l = cl.labels.copy()
            keep = cl_l[nb.indices] >= 0
            sims = np.where(keep, nb.similarities, -1.0).astype(np.float32)
            # push outlier neighbours to near-zero weight: similarity -1 -> weight 1/2
            lab, _ = vote(cl_l, Neighbours(nb.indices, sims))
            lab2 = lab.copy()
            # any query whose winning label is -1 but has clustered neighbours: take best clustered
            masked = np.where(keep, nb.similarities, -np.inf)
            best = np.take_along_axis(cl_l[nb.indices], np.argmax(masked, axis=1)[:, None], 1)[:, 0]
            has = keep.any(axis=1)
            lab2[(lab == -1) & has] = best[(lab == -1) & has]
            lab = lab2
        full[rest] = lab
    core_out = float((cl.labels == -1).mean())
    rest_out = float((full[rest] == -1).mean()) if len(rest) else 0
    filled = centroid_fill(full)
    row = dict(
        name=name,
        N=N,
        S=S,
        mcs=mcs,
        vote=vote_mode,
        topics=int(cl.labels.max() + 1),
        core_outliers=round(core_out, 3),
        rest_outliers=round(rest_out, 3),
        nmi_all=round(nmi(truth, filled), 4),
        hdbscan_s=round(ct, 1),
    )
    print(json.dumps(row), flush=True)
    with open(Path(__file__).resolve().parent / "results" / "core_size.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")


scaled = (
    core_hdbscan(config.hdbscan, N, len(core)).min_cluster_size
    if len(rest)
    else auto_min_cluster_size(N)
)
print(
    "auto(N)",
    auto_min_cluster_size(N),
    "scaled",
    scaled,
    "auto(S)",
    auto_min_cluster_size(len(core)),
)
modes = sys.argv[3].split(",") if len(sys.argv) > 3 else ["scaled"]
for m in modes:
    if m == "scaled":
        evaluate("scaled", scaled)
    elif m == "autoS":
        evaluate("auto(S)", auto_min_cluster_size(len(core)))
    elif m.startswith("mcs"):
        evaluate(m, int(m[3:]))
    elif m == "scaled-clustered":
        evaluate("scaled", scaled, "clustered")
    elif m == "autoS-clustered":
        evaluate("auto(S)", auto_min_cluster_size(len(core)), "clustered")
