"""Train the `distilled` token table on full-USE vectors (issue 11).

Usage::

    python bench/train_distilled.py teacher   # embed train/dev/test texts with USE (cached)
    python bench/train_distilled.py fit       # fit on train, score on dev, write the artifact

``teacher`` stores every USE vector in the project's vector store (``--cache-dir``, default
``.topics-cache``) under the `use` backend's own fingerprint, so it resumes after a kill and the
`use` runs of ``bench/fast_embedder.py`` read the same vectors. It embedded 14,900 texts in
~39 min on the 2 shared cores.

``fit`` (deterministic; ~3 min, ~3 GB of memory) solves, for the piece table ``W``::

    min ||X W + 1 b − Y||² + λ ||W − s·T||²

``X``: one row per training text, its SIF-weighted piece counts divided by their sum (a
weighted mean, as the embedder pools); ``Y``: the texts' USE vectors; ``T``: the `static` table
(every piece embedded alone, mean row removed) scaled by the least-squares ``s``, so pieces
seen rarely or never stay near their own USE meaning. With ~9k texts and 128k pieces the dual
form is exact and cheap: ``W = s·T + Xᵀ (X Xᵀ + λI)⁻¹ (Y − s·X T − b)`` (one Cholesky).

Then three compressions, all chosen on the dev split (``bench/distill_data.py``):

* a **language subspace is projected out**: the top 16 right singular vectors of
  ``USE(zh) − USE(en)`` over the training pairs. These directions say "which language", not
  "what about"; without them translations sit closer, and the pipeline keeps pairs in one
  topic more often (dev: 0.82 → 0.86–0.90 at equal NMI);
* **PCA to 256 dimensions** of the projected, centred training targets (94% of the variance);
* the **vocabulary is pruned** to the pieces seen in training plus the most probable pieces
  of the SentencePiece model, and rows are stored as **int8** with one float32 scale each.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from distill_data import (  # noqa: E402
    SAMPLE_SEED,
    SOURCES,
    SPLITS,
    Doc,
    all_docs,
    kmeans_nmi,
)

from topics.cache import VectorStore, embed_with_store  # noqa: E402
from topics.crosslingual import retrieval_recall_at_1  # noqa: E402
from topics.embed.distilled import SHIPPED_TABLES, DistilledEmbedder  # noqa: E402
from topics.embed.static import (  # noqa: E402
    SPECIAL_PIECES,
    StaticEmbedder,
    _tokenizer_name,
    load_tokenizer,
    piece_log_probs,
    sif_weights,
)
from topics.embed.use import UseEmbedder  # noqa: E402
from topics.hashing import text_hash  # noqa: E402

DEFAULT_CACHE = HERE.parent / ".topics-cache"
RECORD = HERE / "results" / "train_distilled.json"
# Chosen on the dev split (see the module docstring); every reported number is on `test`.
RIDGE = 3e-3
SIF_A = 1e-3
LANGUAGE_DIMS = 16
DIMENSIONS = 256
EXTRA_PIECES = 20000
# Teacher order: what the fit needs first, the held-out sets last.
TEACHER_ORDER = [
    ("train", "pairs"),
    ("train", "csl_zh"),
    ("dev", "pairs"),
    ("dev", "csl_zh"),
    ("dev", "ohsumed_en"),
    ("dev", "arxiv_en"),
    ("train", "arxiv_en"),
    ("train", "ohsumed_en"),
    ("test", "pairs"),
    ("test", "csl_zh"),
    ("test", "arxiv_en"),
    ("test", "ohsumed_en"),
]


def teacher_embedder(name: str):
    """The teacher backend ``name`` (``use`` or ``e5``), as the pipeline builds it."""
    if name == "e5":
        from topics.embed.e5 import E5Embedder

        return E5Embedder()
    return UseEmbedder()


def teacher_vectors(
    docs: list[Doc], cache_dir: Path, batch: int = 64, teacher: str = "use"
) -> np.ndarray:
    """The teacher's vectors of ``docs`` through its vector store (only misses are embedded)."""
    embedder = teacher_embedder(teacher)
    store = VectorStore(cache_dir, embedder.fingerprint())
    texts = [doc.text for doc in docs]
    ids = [doc.id for doc in docs]

    def embed_rows(rows: list[int]) -> np.ndarray:
        return embedder.embed([texts[r] for r in rows], [ids[r] for r in rows])

    vectors, _ = embed_with_store([text_hash(t) for t in texts], embed_rows, store, batch)
    return vectors


def run_teacher(cache_dir: Path, teacher: str = "use") -> None:
    """Embed every split's texts with the teacher, printing progress (resumable)."""
    sets = {split: all_docs(split) for split in SPLITS}
    for split, source in TEACHER_ORDER:
        docs = sets[split][source]
        began = time.perf_counter()
        teacher_vectors(docs, cache_dir, teacher=teacher)
        seconds = time.perf_counter() - began
        print(f"{teacher} {split}/{source}: {len(docs)} texts in {seconds:.0f} s", flush=True)


def cached_vectors(docs: list[Doc], cache_dir: Path, backend: str = "use") -> np.ndarray:
    """``backend``'s vectors of ``docs`` from its store; exits with a hint when some are missing."""
    store = VectorStore(cache_dir, teacher_embedder(backend).fingerprint())
    vectors, found = store.lookup([text_hash(doc.text) for doc in docs])
    if vectors is None or not found.all():
        missing = len(docs) if vectors is None else int((~found).sum())
        raise SystemExit(
            f"{missing} {backend} vectors missing: run `train_distilled.py teacher "
            f"--teacher {backend}` first"
        )
    return vectors.astype(np.float64)


def cached_teacher(docs: list[Doc], cache_dir: Path) -> np.ndarray:
    """USE vectors of ``docs`` from the store (the teacher of the shipped table)."""
    return cached_vectors(docs, cache_dir, "use")


@dataclass
class Teacher:
    """The target space a table is fitted to: ``use``, ``e5`` or ``use+e5``.

    Beyond ``use`` (today's teacher, taken as it is), each block has each language's mean
    (over the training texts) removed and is re-normalised (issue 22: e5 aligns zh and en
    only once centred), and blocks are joined with equal weight.
    """

    name: str
    means: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def blocks(self) -> list[str]:
        return sorted(self.name.split("+"), key=["use", "e5"].index)

    @classmethod
    def fitted(cls, name: str, docs: list[Doc], cache_dir: Path) -> Teacher:
        teacher = cls("+".join(sorted(name.split("+"), key=["use", "e5"].index)))
        if teacher.name != "use":
            for block in teacher.blocks:
                vectors = cached_vectors(docs, cache_dir, block)
                langs = np.array([doc.lang for doc in docs])
                teacher.means[block] = {
                    lang: vectors[langs == lang].mean(axis=0) for lang in sorted(set(langs))
                }
        return teacher

    def targets(self, docs: list[Doc], cache_dir: Path) -> np.ndarray:
        parts = []
        for block in self.blocks:
            vectors = cached_vectors(docs, cache_dir, block)
            if self.means:
                means = self.means[block]
                vectors = vectors - np.stack([means[doc.lang] for doc in docs])
                vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            parts.append(vectors)
        return np.hstack(parts) / np.sqrt(len(parts))

    def fingerprint(self) -> str:
        names = [teacher_embedder(block).fingerprint() for block in self.blocks]
        return " + ".join(names) + ("" if self.name == "use" else " (each language centred)")


def prior_in_teacher_space(
    prior: np.ndarray, docs: list[Doc], targets: np.ndarray, cache_dir: Path, teacher: Teacher
) -> np.ndarray:
    """The `static` prior (USE's space) carried into the teacher's by the least-squares map
    from the training texts' USE vectors to their targets (identity for the USE teacher)."""
    if teacher.name == "use":
        return prior
    use = cached_vectors(docs, cache_dir, "use")
    use_centred = use - use.mean(axis=0)
    gram = use_centred.T @ use_centred
    gram[np.diag_indices_from(gram)] += 1e-3 * np.trace(gram) / len(gram)
    mapping = np.linalg.solve(gram, use_centred.T @ (targets - targets.mean(axis=0)))
    return prior @ mapping


def piece_counts(texts: list[str]) -> sp.csr_matrix:
    """``(texts, vocabulary)`` piece counts with the tokenizer the embedder uses."""
    _, encode = load_tokenizer()
    token_ids = encode(texts)
    lengths = np.fromiter(map(len, token_ids), dtype=np.int64, count=len(token_ids))
    flat = np.fromiter(chain.from_iterable(token_ids), dtype=np.int64, count=int(lengths.sum()))
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    counts = sp.csr_matrix(
        (np.ones(len(flat)), flat, indptr), shape=(len(texts), len(piece_log_probs()))
    )
    counts.sum_duplicates()
    return counts


def mean_features(counts: sp.csr_matrix, weights: np.ndarray) -> sp.csr_matrix:
    """Rows of SIF-weighted counts divided by their sum: the embedder's weighted mean."""
    weighted = sp.csr_matrix(counts.multiply(weights[None, :]))
    totals = np.asarray(weighted.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / totals) @ weighted)


def prior_table(cache_dir: Path) -> np.ndarray:
    """The `static` piece table (built once into the cache), mean row removed, float64."""
    table = StaticEmbedder(cache_dir).raw_table().astype(np.float64)
    table -= table[SPECIAL_PIECES:].mean(axis=0)
    return table


def fit_table(
    features: sp.csr_matrix, targets: np.ndarray, prior: np.ndarray, ridge: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """``(W, b, s)`` minimising ``||X W + b − Y||² + ridge ||W − s·prior||²`` (dual form)."""
    pooled_prior = features @ prior
    scale = float((pooled_prior * targets).sum() / (pooled_prior * pooled_prior).sum())
    bias = (targets - scale * pooled_prior).mean(axis=0)
    residual = targets - scale * pooled_prior - bias
    gram = (features @ features.T).toarray()
    gram[np.diag_indices_from(gram)] += ridge
    dual = scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram, overwrite_a=True), residual)
    table = scale * prior
    table += features.T @ dual
    return table, bias, scale


def language_basis(docs: list[Doc], targets: np.ndarray, dims: int) -> np.ndarray:
    """``(d, dims)``: top right singular vectors of target(zh) − target(en) over training
    pairs."""
    zh = {doc.pair: row for row, doc in enumerate(docs) if doc.pair and doc.lang == "zh"}
    en = {doc.pair: row for row, doc in enumerate(docs) if doc.pair and doc.lang == "en"}
    both = sorted(zh.keys() & en.keys())
    differences = targets[[zh[p] for p in both]] - targets[[en[p] for p in both]]
    return np.linalg.svd(differences, full_matrices=False)[2][:dims].T


def output_basis(
    targets: np.ndarray, language: np.ndarray, dims: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(projection d×dims, mean)``: language subspace removed, then PCA of the targets."""
    without_language = np.eye(targets.shape[1]) - language @ language.T
    mean = targets.mean(axis=0)
    components = np.linalg.svd((targets - mean) @ without_language, full_matrices=False)[2]
    return without_language @ components[:dims].T, mean


def kept_pieces(features: sp.csr_matrix, extra: int) -> np.ndarray:
    """Sorted ids of pieces seen in training plus the ``extra`` most probable pieces."""
    keep = np.zeros(features.shape[1], dtype=bool)
    keep[np.unique(features.indices)] = True
    keep[np.argsort(-piece_log_probs(), kind="stable")[:extra]] = True
    keep[:SPECIAL_PIECES] = False
    return np.flatnonzero(keep)


def quantise(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and one float32 scale per row (``row ≈ int8 · scale``)."""
    scales = np.abs(rows).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    return np.round(rows / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def dev_scores(embed, dev: dict[str, list[Doc]]) -> dict[str, float]:
    """Recall@1 both ways on a split's pairs and KMeans-with-true-k NMI on each bench set.

    ``embed`` takes a list of :class:`Doc` (a teacher centres by each one's language)."""
    pairs = dev["pairs"]
    vectors = embed(pairs)
    zh_to_en, en_to_zh = retrieval_recall_at_1(vectors[0::2], vectors[1::2])
    scores = {"recall_zh_en": round(zh_to_en, 4), "recall_en_zh": round(en_to_zh, 4)}
    for source in SOURCES:
        docs = dev[source.name]
        scores[f"nmi_{source.name}"] = round(kmeans_nmi(embed(docs), [d.label for d in docs]), 4)
    return scores


def save_artifact(path: Path, arrays: dict[str, np.ndarray], info: dict) -> None:
    """Write the compressed ``.npz`` atomically and byte-reproducibly.

    ``np.savez_compressed`` stamps each member with the current time, so the same table would
    hash differently (and change the fingerprint) on every fit; fixed stamps avoid that.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    members = {**arrays, "info": np.asarray(json.dumps(info, sort_keys=True))}
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w") as archive:
            for name, array in members.items():
                member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w") as target:
                    np.lib.format.write_array(target, np.asarray(array), allow_pickle=False)
        os.chmod(temp, 0o644)  # mkstemp makes it private; the file ships in the wheel
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def paired_targets(docs: list[Doc], targets: np.ndarray) -> np.ndarray:
    """Both sides of each training pair regress onto the mean of their two teacher vectors,
    so the table cannot keep a difference the teacher has between a text and its
    translation (an experiment for teachers that align languages poorly)."""
    out = targets.copy()
    sides: dict[str, list[int]] = {}
    for row, doc in enumerate(docs):
        if doc.pair:
            sides.setdefault(doc.pair, []).append(row)
    for rows in sides.values():
        if len(rows) == 2:
            mean = targets[rows].mean(axis=0)
            out[rows] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def fit_label(teacher: str, paired: bool) -> str:
    """A fit's name in its record and default artifact (``use``, ``e5_paired``, ``use_e5``…)."""
    return teacher.replace("+", "_") + ("_paired" if paired else "")


def run_fit(
    cache_dir: Path,
    artifact: Path,
    teacher_name: str = "use",
    language_dims: int = LANGUAGE_DIMS,
    paired: bool = False,
) -> dict:
    """Fit on the train split, compress, write the artifact, score it on dev (and on test,
    where the teacher's test vectors exist); return the record."""
    began = time.perf_counter()
    train_sets, dev = all_docs("train"), all_docs("dev")
    docs = list(chain.from_iterable(train_sets.values()))
    teacher = Teacher.fitted(teacher_name, docs, cache_dir)
    targets = teacher.targets(docs, cache_dir)
    weights = sif_weights(piece_log_probs(), SIF_A).astype(np.float64)
    features = mean_features(piece_counts([d.text for d in docs]), weights)
    prior = prior_in_teacher_space(prior_table(cache_dir), docs, targets, cache_dir, teacher)
    fitted_to = paired_targets(docs, targets) if paired else targets
    table, bias, scale = fit_table(features, fitted_to, prior, RIDGE)
    del prior, fitted_to
    language = language_basis(docs, targets, language_dims)
    projection, mean = output_basis(targets, language, DIMENSIONS)
    pieces = kept_pieces(features, EXTRA_PIECES)
    rows, scales = quantise(table[pieces] @ projection)
    del table
    fit_seconds = time.perf_counter() - began
    ids = sorted(d.id for d in docs)
    info = {
        "format": 1,
        "vocab_size": len(piece_log_probs()),
        "dimensions": DIMENSIONS,
        "tokenizer": _tokenizer_name(),
        "teacher": teacher.fingerprint(),
        "prior": StaticEmbedder(cache_dir).table_fingerprint()
        + ("" if teacher.name == "use" else " (mapped into the teacher's space)"),
        "sif_a": SIF_A,
        "ridge": RIDGE,
        "prior_scale": round(scale, 6),
        "language_dims_removed": language_dims,
        "paired_targets": paired,
        "pieces_kept": len(pieces),
        "extra_pieces": EXTRA_PIECES,
        "training_texts": {name: len(rows_) for name, rows_ in train_sets.items()},
        "training_ids_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
        "split": "bench/distill_data.py: blake2b bucket of the text (pairs: of the pair id); "
        f"0-29 test, 30-39 dev, 40-99 train; sample seed {SAMPLE_SEED}",
    }
    save_artifact(
        artifact,
        {
            "pieces": pieces.astype(np.int32),
            "rows": rows,
            "scales": scales,
            "weights": weights[pieces].astype(np.float32),
            "bias": ((bias - mean) @ projection).astype(np.float32),
        },
        info,
    )
    embedder = DistilledEmbedder(artifact)

    def student(split_docs: list[Doc]) -> np.ndarray:
        texts = [d.text for d in split_docs]
        return embedder.embed(texts, texts)

    def teacher_vectors_of(split_docs: list[Doc]) -> np.ndarray:
        return teacher.targets(split_docs, cache_dir)

    test = all_docs("test")
    try:
        teacher_test = dev_scores(teacher_vectors_of, test)
    except SystemExit:  # the teacher's test vectors were not computed (they are optional)
        teacher_test = None
    record = {
        **info,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "artifact": os.path.relpath(artifact, HERE.parent),
        "artifact_bytes": artifact.stat().st_size,
        "fingerprint": embedder.fingerprint(),
        "fit_seconds": round(fit_seconds, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "dev": {
            "distilled": dev_scores(student, dev),
            "teacher": dev_scores(teacher_vectors_of, dev),
        },
        "test": {"distilled": dev_scores(student, test), "teacher": teacher_test},
    }
    label = fit_label(teacher.name, paired)
    path = RECORD if label == "use" else RECORD.with_name(f"train_distilled_{label}.json")
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["teacher", "fit"])
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument(
        "--paired", action="store_true", help="fit both sides of a pair to their mean target"
    )
    parser.add_argument(
        "--language-dims",
        type=int,
        default=LANGUAGE_DIMS,
        help="language directions projected out (chosen on dev)",
    )
    parser.add_argument(
        "--artifact",
        type=Path,
        help="default: the shipped table for the USE teacher, else "
        ".topics-cache/distilled-<teacher>.npz",
    )
    parser.add_argument(
        "--teacher",
        default="use",
        choices=["use", "e5", "e5+use", "use+e5"],
        help="teacher vectors: USE, e5 (query prefix), or both (each block centred)",
    )
    args = parser.parse_args()
    if args.command == "teacher":
        for teacher in args.teacher.split("+"):
            run_teacher(args.cache_dir, teacher)
    else:
        artifact = args.artifact
        if artifact is None:
            label = fit_label(args.teacher, args.paired)
            # the two fits that ship in the package write over their tables
            shipped = {"use": "distilled-v1", "e5_paired": "distilled-v2"}
            artifact = (
                SHIPPED_TABLES[shipped[label]]
                if label in shipped
                else DEFAULT_CACHE / f"distilled-{label}.npz"
            )
        record = run_fit(
            args.cache_dir, artifact.resolve(), args.teacher, args.language_dims, args.paired
        )
        keys = ("artifact_bytes", "fit_seconds", "dev", "test")
        print(json.dumps({k: record[k] for k in keys}))


if __name__ == "__main__":
    main()
