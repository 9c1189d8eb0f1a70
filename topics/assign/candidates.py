"""Candidate topics from the novel documents that ``topics assign`` keeps (issue 20, part 2).

A new document is *novel* when no current topic can claim it, in one of two ways:

- **far**: it is less similar to every core document than almost any core document is to its
  own nearest neighbour (:attr:`topics.assign.store.Assigner.novelty_similarity`, the 1st
  percentile of the core's leave-one-out similarity), or
- **crowded by new documents**: among its ``k`` nearest documents in the core, this assign's
  documents and the novel documents kept from earlier assigns, at least
  :data:`CROWDED_SHARE` are not core documents, and at least twice the share a steady feed
  would give (the new documents' share of all of them). A subject the fit never saw has no
  core documents near it, however close to a known subject it lies, while a known subject's
  new documents sit among its core documents.

Measured by hand with one subject withheld from the fit of each bench corpus (``fast``): distance
alone called 1–3% of the withheld subject novel on CSL, OHSUMED and arXiv, whose subjects border
each other (a news corpus fitted without one subject: 54%); with the crowded rule 60–88% of it on
OHSUMED and arXiv, still ~1% on CSL, with 3–10% of the known subjects' new documents
(``bench/candidates.py``, ``bench/results/candidates.md``). Novel documents get topic ``-1`` and
their vectors are kept in the run folder (``novel/``). A new novel document joins a candidate
when the kept novel documents nearest to it vote for one (as a topic's new documents are
voted in), so a candidate keeps its members and grows; UMAP and HDBSCAN over the novel
documents in no candidate, with the run's settings and its ``min_cluster_size`` rule applied
to the run's size (a candidate must be as large as a topic of the run), propose new ones.
Candidate ids are never reused; existing topic ids never change. ``topics adopt`` turns a
candidate into a topic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from topics.neighbours import nearest

#: Share of a new document's nearest documents that are new for it to be crowded by them.
CROWDED_SHARE = 0.6
#: ... and at least this multiple of the new documents' share of core + new.
CROWDED_LIFT = 2.0
#: Background documents of the run sampled to tell a candidate's words apart.
BACKGROUND_DOCUMENTS = 2000
NONE = -1


def crowded_by_new(
    core: np.ndarray,
    batch: np.ndarray,
    kept: np.ndarray,
    k: int,
    seed: int = 0,
    from_core: np.ndarray | None = None,
) -> np.ndarray:
    """Which ``batch`` documents are crowded by new documents (see the module docstring).

    Parameters
    ----------
    core:
        The run's core vectors.
    batch:
        This assign's vectors.
    kept:
        The novel documents kept from earlier assigns (``(0, d)`` for none).
    k:
        Neighbours looked at (the assigner's vote size).
    from_core:
        The batch's similarities to its nearest core documents, most similar first, when the
        caller has searched the core already (the vote did): at least ``k`` columns.
    """
    n = len(batch)
    if n == 0 or len(core) == 0:
        return np.zeros(n, dtype=bool)
    new = np.vstack([batch, kept]) if len(kept) else np.asarray(batch)
    expected = len(new) / (len(core) + len(new))
    floor = max(CROWDED_SHARE, CROWDED_LIFT * expected)
    if floor > 1.0 or len(new) < 2:
        return np.zeros(n, dtype=bool)
    k = max(1, min(k, len(core), len(new) - 1))
    if from_core is None:
        from_core = nearest(core, batch, k, seed).similarities
    from_core = from_core[:, :k]
    found = nearest(new, batch, k + 1, seed)
    # Each batch document is row i of ``new``: drop it from its own list (an exact copy
    # elsewhere in the batch stays, as any other new document would).
    own = found.indices == np.arange(n)[:, None]
    own[:, -1] |= ~own.any(axis=1)  # not found (ties): drop the farthest instead
    from_new = found.similarities[~own].reshape(n, k)
    merged = np.hstack([from_core, from_new])
    is_new = np.hstack([np.zeros_like(from_core, bool), np.ones_like(from_new, bool)])
    order = np.argsort(-merged, axis=1, kind="stable")[:, :k]
    share = np.take_along_axis(is_new, order, axis=1).mean(axis=1)
    return share >= floor


def cluster_novel(vectors: np.ndarray, config: Any, min_cluster_size: int) -> np.ndarray:
    """Groups of the novel documents (``-1`` = in no candidate), found as a run finds topics:
    UMAP with the run's ``umap`` settings, then HDBSCAN with its ``hdbscan`` settings and
    ``min_cluster_size``.

    Measured by hand on a withheld arXiv archive (quant-ph, ``fast``): HDBSCAN on the vectors
    themselves (356 dimensions, or 10 PCA components) found no group at all in 139 novel
    documents, 116 of them of that archive; after UMAP it found two, 96% and 79% pure.
    """
    from topics.cluster import cluster, reduce
    from topics.types import Embeddings

    n = len(vectors)
    if n < max(min_cluster_size, 3):
        return np.full(n, NONE, dtype=np.int64)
    embeddings = Embeddings(np.asarray(vectors, dtype=np.float32), "novel", "novel")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")  # umap's "n_jobs overridden by random_state"
        reduced = reduce(embeddings, config.umap, config.run.seed)
    section = config.hdbscan.model_copy(update={"min_cluster_size": min_cluster_size})
    return np.asarray(cluster(reduced, section, config.run.seed).labels, dtype=np.int64)


def join_candidates(
    kept: np.ndarray, kept_candidates: np.ndarray, new: np.ndarray, k: int, seed: int = 0
) -> np.ndarray:
    """The candidate each new novel document joins (``-1``: none), by the vote a topic's new
    documents get (:func:`topics.assign.knn.vote`) among the kept novel documents.

    A candidate's members never leave it, so a candidate only grows from assign to assign.
    """
    from topics.assign.knn import vote

    if not len(new) or not len(kept) or not (kept_candidates != NONE).any():
        return np.full(len(new), NONE, dtype=np.int64)
    neighbours = nearest(kept, new, max(1, min(k, len(kept))), seed)
    return vote(kept_candidates, neighbours)[0]


def candidate_labels(
    texts: list[str],
    langs: np.ndarray,
    groups: np.ndarray,
    section: Any,
    engine: Any = None,
) -> pd.DataFrame:
    """Label, per-language labels and words of each group, told apart from the documents
    whose group is ``-1`` (a sample of the run's documents and the unclustered novel ones).

    Made by the run's own labeler (:class:`topics.represent.labels.GroupLabeler`: words and
    phrases in both languages, generic units skipped) on these documents' tokens.

    Returns
    -------
    table, words:
        ``candidate, label, label_en, label_zh, words, words_en, words_zh`` (one row per
        group, ascending), and ``{candidate: {"words", "words_en", "words_zh": [[word,
        score], ...]}}`` (c-TF-IDF scores; ``words`` the best of either language).
    """
    from topics.engine import LOCAL
    from topics.represent.labels import GroupLabeler
    from topics.represent.phrases import phrase_matrix
    from topics.represent.tokens import (
        build_vocabulary,
        count_terms,
        resolve_min_df,
        tokenize_texts,
    )

    columns = ["candidate", "label", "label_en", "label_zh", "words", "words_en", "words_zh"]
    groups = np.asarray(groups, dtype=np.int64)
    if not (groups != NONE).any():
        return pd.DataFrame(columns=columns), {}
    engine = engine or LOCAL
    joined = tokenize_texts(texts, section.extra_stopwords, engine)
    vocabulary = build_vocabulary(joined, section, engine)
    if len(vocabulary) < 2:
        rows = [{"candidate": int(g)} for g in np.unique(groups[groups != NONE])]
        return pd.DataFrame(rows, columns=columns).fillna(""), {}
    document_term = count_terms(joined, vocabulary, engine)
    min_df = max(2, resolve_min_df(section, len(joined)))
    presence, phrases = phrase_matrix(texts, joined, min_df, engine)
    labeler = GroupLabeler(
        document_term,
        vocabulary,
        presence,
        phrases,
        np.asarray(langs),
        section.label_language,
        section.label_words,
        section.top_n_words,
    )
    found = labeler.label(groups)
    rows, scored = [], {}
    for group, label in sorted(found.labels.items()):
        per_language = {
            f"words_{lang}": [
                [word, round(float(score), 6)]
                for word, score in found.words.get(lang, {}).get(group, [])
            ]
            for lang in ("en", "zh")
        }
        ranked: dict[str, float] = {}
        for pairs in per_language.values():
            for word, score in pairs:
                ranked[word] = max(ranked.get(word, 0.0), score)
        best = sorted(ranked.items(), key=lambda pair: -pair[1])[: section.top_n_words]
        scored[int(group)] = {"words": [list(pair) for pair in best], **per_language}
        joined = {name: " | ".join(w for w, _ in pairs) for name, pairs in per_language.items()}
        rows.append(
            {"candidate": int(group), **label, "words": " | ".join(w for w, _ in best), **joined}
        )
    return pd.DataFrame(rows, columns=columns), scored


@dataclass(frozen=True)
class CandidateUpdate:
    """The run folder's candidate files after one assign (written by the append).

    Attributes
    ----------
    column:
        ``candidate`` of every document after the append (the run's rows, then the new ones).
    rows, vectors:
        Rows and vectors of every kept novel document (``novel/``).
    table:
        ``candidates.csv``.
    summary:
        ``manifest["candidates"]``.
    words:
        Each candidate's words with their c-TF-IDF scores (``novel/words.json``), which
        ``topics adopt`` gives the topic it becomes.
    """

    column: np.ndarray
    rows: np.ndarray
    vectors: np.ndarray
    table: pd.DataFrame
    summary: dict[str, Any]
    words: dict[int, dict[str, list]]


TABLE_COLUMNS = [
    "candidate",
    "size",
    "label",
    "label_en",
    "label_zh",
    "words",
    "words_en",
    "words_zh",
    "first_seen",
    "last_seen",
]


def update_candidates(
    run: Any,
    documents: pd.DataFrame,
    new: Any,
    found: Any,
    assigned_at: str,
    config: Any,
    engine: Any = None,
) -> CandidateUpdate:
    """Candidates over the novel documents kept so far and this assign's novel ones.

    Parameters
    ----------
    run:
        The run folder (:class:`topics.run_folder.RunFolder`, opened under its lock).
    documents:
        Its ``documents.parquet`` without texts.
    new, found:
        This assign's documents (:class:`topics.types.Corpus`) and what the assigner found
        (:class:`topics.assign.store.Assignment`).
    assigned_at:
        This assign's time (the date of a new document without one).
    config:
        The run's config (its ``hdbscan`` and ``topics`` sections).
    """
    from topics.cluster.hdbscan_stage import resolve_min_cluster_size

    n_run = len(documents)
    kept_rows, kept_vectors = run.novel()
    novel = np.flatnonzero(found.novel)
    rows = np.concatenate([kept_rows, n_run + novel]).astype(np.int64)
    vectors = np.asarray(found.vectors, dtype=np.float32)[novel]
    if len(kept_rows):
        vectors = np.vstack([kept_vectors, vectors])
    ids = np.full(len(rows), NONE, dtype=np.int64)
    if "candidate" in documents.columns:
        ids[: len(kept_rows)] = documents["candidate"].to_numpy(dtype=np.int64)[kept_rows]
    ids[len(kept_rows) :] = join_candidates(
        vectors[: len(kept_rows)],
        ids[: len(kept_rows)],
        vectors[len(kept_rows) :],
        config.cluster.neighbors,
        config.run.seed,
    )
    before = run.manifest.get("candidates") or {}
    total = n_run + len(new)
    size = resolve_min_cluster_size(config.hdbscan, total)
    free = np.flatnonzero(ids == NONE)
    groups = cluster_novel(vectors[free], config, size)
    next_id = int(before.get("next_id", 0))
    found = groups != NONE
    ids[free[found]] = next_id + groups[found]
    next_id += int(groups.max(initial=-1)) + 1
    column = np.full(total, NONE, dtype=np.int64)
    column[rows] = ids
    table, words = _table(run, documents, new, rows, ids, assigned_at, config, engine)
    summary = {
        "next_id": next_id,
        "min_cluster_size": size,
        "novel_kept": len(rows),
        "in_candidates": int((ids != NONE).sum()),
        "candidates": len(table),
        "adopted": list(before.get("adopted", [])),
    }
    return CandidateUpdate(column, rows, vectors, table, summary, words)


def _table(
    run: Any,
    documents: pd.DataFrame,
    new: Any,
    rows: np.ndarray,
    ids: np.ndarray,
    assigned_at: str,
    config: Any,
    engine: Any,
) -> tuple[pd.DataFrame, dict[int, dict[str, list]]]:
    """``candidates.csv`` (size, labels, words and first/last date of each candidate) and the
    candidates' scored words."""
    members = ids != NONE
    if not members.any():
        return pd.DataFrame(columns=TABLE_COLUMNS), {}
    n_run = len(documents)
    rng = np.random.default_rng(config.run.seed)
    others = np.setdiff1d(np.arange(n_run), rows)
    background = np.sort(rng.choice(others, min(BACKGROUND_DOCUMENTS, len(others)), False))
    old = rows[members & (rows < n_run)]
    fresh = rows[members & (rows >= n_run)] - n_run
    of_row = dict(zip(rows.tolist(), ids.tolist(), strict=True))
    labelled = np.concatenate([background, old])
    run_groups = np.array([NONE] * len(background) + [of_row[int(r)] for r in old], np.int64)
    order = np.argsort(labelled, kind="stable")
    labelled, run_groups = labelled[order], run_groups[order]
    texts = list(run.text_rows(labelled).get("text", [""] * len(labelled)))
    texts += [new.texts[i] for i in fresh]
    langs = np.concatenate(
        [documents["lang"].astype(str).to_numpy()[labelled], np.asarray(new.langs)[fresh]]
    )
    groups = np.concatenate([run_groups, [of_row[int(n_run + i)] for i in fresh]]).astype(np.int64)
    labels, words = candidate_labels(texts, langs, groups, config.topics, engine)
    dates = _dates(documents, new, assigned_at)[rows[members]]
    seen = pd.DataFrame({"candidate": ids[members], "date": dates})
    spans = seen.groupby("candidate")["date"].agg(["size", "min", "max"])
    table = labels.set_index("candidate").join(spans, how="right")
    table = table.rename(columns={"min": "first_seen", "max": "last_seen"}).reset_index()
    table = table.sort_values(["size", "candidate"], ascending=[False, True])[TABLE_COLUMNS]
    return table, words


def _dates(documents: pd.DataFrame, new: Any, assigned_at: str) -> np.ndarray:
    """Each document's date as text (:func:`topics.trends.document_dates`: ``date``, else when
    it was assigned), the run's rows first, then this assign's."""
    from topics.trends import document_dates

    new_dates = [assigned_at if d is None else d for d in (new.dates or [None] * len(new))]
    values = document_dates(documents) + new_dates
    return np.array([None if v is None else str(v)[:10] for v in values], dtype=object)
