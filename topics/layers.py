"""Topic layers (issue 10, first part): coarser groups of the fine topics, nested, with words.

The fine topics' mean vectors are merged by average-linkage agglomerative clustering on cosine
distance (scipy); cutting the one dendrogram at decreasing group counts gives layers that nest
by construction (every fine topic has exactly one parent per layer). The coarsest layer, the
*overview*, takes a count in 5..30 from the data, not from a label count
(:func:`overview_count`: a gap in the dendrogram that dwarfs the others, else the cut where
groups are farther apart than a fifth of document pairs' topics) — passing over counts where
one group would hold more than half of the documents, which no label word could tell apart
(:data:`MAX_OVERVIEW_SHARE`); up to two layers in between are
spaced geometrically when the fine layer has more than three times as many topics. Measured on
CSL with the ``fast`` preset (86 fine topics): average linkage beat Ward and complete linkage
against CSL's 13 coarse disciplines at every count (NMI .36–.38 for 5–20 groups against .33 for
the fine topics); other hierarchies (c-TF-IDF, HDBSCAN's condensed tree, EVoC) in
``bench/results/layer_candidates.md``.

Each group's words are c-TF-IDF over the group's documents (BERTopic's class TF-IDF: term
frequency within the group × ``log(1 + mean words per group / frequency across groups)``) on
the run's own document-term matrix, so layer labels use the same tokenization as topic labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from topics.common import OUTLIER
from topics.represent.labels import DISTINCTIVE_RATIO, GroupLabeler

#: Overview size range (issue 10: "roughly 5-30 groups for any corpus of 1k+ documents").
OVERVIEW_RANGE = (5, 30)
#: A coarser layer is added between two layers whose counts differ by more than this factor.
LAYER_RATIO = 3.0
#: Largest share of the documents one overview group may hold when the count is chosen. A
#: label unit must be twice as frequent in its group as in the corpus (``DISTINCTIVE_RATIO``),
#: which no word can be in a group of more than half the documents: such a group could only be
#: labelled with generic words (arXiv, ``default`` preset: 20% generic overview units).
MAX_OVERVIEW_SHARE = 1.0 / DISTINCTIVE_RATIO
#: A dendrogram gap this many times every other gap in range decides the overview by itself.
DECISIVE_GAP = 2.0
#: Otherwise groups are cut apart where they are farther apart than this share of document
#: pairs' topics (chosen among .15/.20/.25 on five bench corpora, checked on three held out).
PAIR_QUANTILE = 0.2


@dataclass(frozen=True)
class Layers:
    """Coarser layers of a run's topics, fine → coarse.

    Attributes
    ----------
    parents:
        One mapping per coarser layer: fine topic id → group id in that layer (``-1`` stays
        ``-1``). Group ids count from 0 by decreasing size.
    """

    parents: list[dict[int, int]]

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> Layers:
        """The layers recorded in ``layers.csv``, by following each node's ``parent``."""
        step = {
            (int(layer), int(node)): int(parent)
            for layer, node, parent in zip(
                table["layer"], table["id"], table["parent"], strict=True
            )
            if pd.notna(parent)
        }
        group = {int(t): int(t) for t in table.loc[table["layer"] == 0, "id"]}
        parents = []
        for layer in range(int(table["layer"].max()) if len(table) else 0):
            group = {t: step.get((layer, g), OUTLIER) for t, g in group.items()}
            parents.append(group)
        return cls(parents=parents)

    @property
    def columns(self) -> list[str]:
        """Column names of the coarser layers in ``documents.parquet`` (``topic_l1``, ...)."""
        return [f"topic_l{level}" for level in range(1, len(self.parents) + 1)]

    def of_documents(self, assignments: np.ndarray) -> dict[str, np.ndarray]:
        """Each coarser layer's group id per document (one array lookup per layer)."""
        assignments = np.asarray(assignments, dtype=np.int64)
        top = max([int(assignments.max(initial=0)), *(max(p, default=0) for p in self.parents)])
        out = {}
        for column, parents in zip(self.columns, self.parents, strict=True):
            lookup = np.full(top + 2, OUTLIER, dtype=np.int64)  # index t + 1; 0 is the outlier
            lookup[np.asarray(list(parents), dtype=np.int64) + 1] = list(parents.values())
            out[column] = lookup[assignments + 1]
        return out


def layer_counts(n_topics: int, overview: int) -> list[int]:
    """Group counts of the coarser layers, fine → coarse, ending with ``overview``."""
    if n_topics <= overview:
        return []
    ratio = n_topics / overview
    steps = 1 + (ratio > LAYER_RATIO) + (ratio > LAYER_RATIO**2)
    counts = [round(overview * ratio ** (step / steps)) for step in range(steps - 1, 0, -1)]
    return sorted({c for c in counts if overview < c < n_topics}, reverse=True) + [overview]


def overview_count(
    tree: np.ndarray,
    vectors: np.ndarray,
    sizes: np.ndarray,
    largest_share: Callable[[int], float] | None = None,
    decisive_gap: float = DECISIVE_GAP,
    quantile: float = PAIR_QUANTILE,
) -> int:
    """Group count of the overview, in :data:`OVERVIEW_RANGE` (issue 22, part 5).

    A gap in the dendrogram that is :data:`DECISIVE_GAP` times every other gap in range is a
    structure the topics show plainly: its count is taken. Otherwise (the common case on real
    corpora, where the largest gap wins by a hair and moves with the vectors and the seed) the
    tree is cut at :data:`PAIR_QUANTILE` of the cosine distance between two random documents'
    topics: groups stay apart that are farther apart than that share of document pairs. The
    threshold is on the vectors' own scale, so it tracks the corpus, not the backend
    (``bench/results/overview.md``: 24 of 30 runs within 0.5–2× the subject count, against
    18 for the largest gap alone).

    With ``largest_share`` (the share of the documents in the largest group at a count), counts
    whose largest group holds more than :data:`MAX_OVERVIEW_SHARE` are passed over while
    another count is left (the nearest one is taken): no word can tell such a group apart.
    ``decisive_gap`` and ``quantile`` are the rule's two settings (``bench/overview.py`` scores
    others; ``decisive_gap=inf`` is the distance cut alone).
    """
    from scipy.cluster.hierarchy import fcluster

    n_topics = len(sizes)
    low, high = OVERVIEW_RANGE
    high = min(high, n_topics - 1)
    if high < low:
        return n_topics
    counts = list(range(low, high + 1))
    if largest_share is not None:
        counts = [n for n in counts if largest_share(n) <= MAX_OVERVIEW_SHARE] or counts
    heights = tree[:, 2]
    # Cutting to n groups undoes the last n-1 merges: the gap is between merge k-n and k-n+1.
    gaps = sorted(
        ((heights[n_topics - n] - heights[n_topics - n - 1], -n) for n in counts), reverse=True
    )
    if len(gaps) == 1 or gaps[0][0] >= decisive_gap * gaps[1][0]:
        return -gaps[0][1]
    threshold = document_pair_distance(vectors, sizes, quantile)
    count = len(np.unique(fcluster(tree, t=threshold, criterion="distance")))
    return min(counts, key=lambda n: (abs(n - count), n))


def document_pair_distance(vectors: np.ndarray, sizes: np.ndarray, quantile: float) -> float:
    """The ``quantile`` of the cosine distance between two random documents' topics.

    Topic pairs are weighted by the product of their sizes (a pair of documents from the same
    topic is at distance 0 and does not count); ``vectors`` are one unit row per topic.
    """
    upper = np.triu_indices(len(sizes), 1)
    distances = np.clip(1.0 - (vectors @ vectors.T)[upper], 0.0, 2.0)
    weights = np.outer(sizes, sizes)[upper]
    if not len(distances) or weights.sum() <= 0:
        return 0.0
    order = np.argsort(distances, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(distances[order][min(np.searchsorted(cumulative, quantile), len(order) - 1)])


def build_layers(
    topic_vectors: dict[int, np.ndarray], sizes: dict[int, int], setting: int | str = "auto"
) -> Layers:
    """Coarser layers over the fine topics (see the module docstring).

    Parameters
    ----------
    topic_vectors:
        Fine topic id → mean embedding (outliers excluded).
    sizes:
        Fine topic id → documents (orders group ids by size).
    setting:
        ``topics.layers``: ``"auto"``, ``"off"`` or the overview's group count.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    topics = sorted(topic_vectors)
    if setting == "off" or len(topics) <= OVERVIEW_RANGE[0]:
        return Layers(parents=[])
    vectors = np.stack([np.asarray(topic_vectors[t], dtype=np.float64) for t in topics])
    tree = linkage(vectors, method="average", metric="cosine")
    weights = np.array([sizes.get(topic, 0) for topic in topics], dtype=np.float64)

    def cut(count: int) -> tuple[np.ndarray, np.ndarray]:
        """Each fine topic's group at ``count`` groups (scipy's ids, from 1), and group sizes."""
        groups = fcluster(tree, t=count, criterion="maxclust")
        return groups, np.bincount(groups, weights=weights)

    if setting == "auto":
        total = max(weights.sum(), 1.0)
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        overview = overview_count(
            tree, unit, weights, lambda count: float(cut(count)[1].max() / total)
        )
    else:
        overview = min(int(setting), len(topics) - 1)
    parents = []
    for count in layer_counts(len(topics), overview):
        groups, group_sizes = cut(count)
        present = sorted(set(groups.tolist()), key=lambda g: (-group_sizes[g], g))
        rank = {group: position for position, group in enumerate(present)}
        parents.append({t: rank[int(g)] for t, g in zip(topics, groups, strict=True)})
    return Layers(parents=parents)


def fixed_overview_warning(setting: int | str, counts: list[int]) -> str | None:
    """A line for the run when a fixed ``topics.layers`` could not be met, else ``None``.

    ``counts`` are the groups per layer, fine topics first (``layers.csv``). An overview can
    hold at most one group fewer than there are fine topics, and a run of five or fewer topics
    gets no layers at all: the run says so rather than writing another size without a word.
    """
    if not isinstance(setting, int) or isinstance(setting, bool):
        return None
    topics = counts[0] if counts else 0
    if len(counts) < 2:
        return (
            f"topics.layers asked for an overview of {setting} groups, but the run has "
            f"{topics} topics (layers need more than {OVERVIEW_RANGE[0]}): no layers written."
        )
    if counts[-1] != setting:
        return (
            f"topics.layers asked for an overview of {setting} groups; with {topics} topics "
            f"it has {counts[-1]}."
        )
    return None


def group_words(
    document_term: sp.spmatrix, vocabulary: list[str], groups: np.ndarray, top_n: int
) -> dict[int, list[tuple[str, float]]]:
    """c-TF-IDF words of each group of documents (``-1`` skipped), best first."""
    from topics.represent.bilingual import class_tfidf, top_terms
    from topics.represent.table import group_sums

    groups = np.asarray(groups, dtype=np.int64)
    kept = groups != OUTLIER
    if not kept.any():
        return {}
    ids, counts = group_sums(document_term, groups, keep=kept)
    weights = class_tfidf(counts)
    return {int(group): top_terms(weights, row, vocabulary, top_n) for row, group in enumerate(ids)}


def layers_table(
    layers: Layers,
    per_document: dict[str, np.ndarray],
    topic_table: pd.DataFrame,
    labeler: GroupLabeler,
    top_n: int,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """``layers.csv``: every node — ``layer, id, parent, size, label, label_en, label_zh, words``.

    Layer 0 holds the fine topics (labels from the topic table), layer 1.. the coarser groups;
    ``parent`` is the node's group in the next coarser layer (empty on the overview).
    ``per_document`` is :meth:`Layers.of_documents` of every document; groups are
    labelled by ``labeler`` exactly as the fine topics are (phrases, generic words skipped,
    ``topics.label_language``), and ``words`` is their c-TF-IDF over the labeler's documents
    (all, or the fitted core of a large run); ``size`` counts every document.
    """
    rows = []
    generic: dict[str, float] = {}
    fine = topic_table[topic_table["topic"] != OUTLIER]
    for record in fine.to_dict("records"):
        topic = int(record["topic"])
        rows.append(
            {
                "layer": 0,
                "id": topic,
                "parent": layers.parents[0].get(topic) if layers.parents else None,
                "size": int(record["size"]),
                "label": record.get("label", ""),
                "label_en": record.get("label_en", ""),
                "label_zh": record.get("label_zh", ""),
                "words": record.get("words", ""),
            }
        )
    for level, column in enumerate(layers.columns, start=1):
        groups = per_document[column]
        words = group_words(
            labeler.document_term, labeler.vocabulary, labeler.counted(groups), top_n
        )
        found = labeler.label(groups, words)
        labels = found.labels
        generic[column] = found.generic_share()
        coarser = layers.parents[level] if level < len(layers.parents) else None
        # A group's parent: that of any one of its fine topics (the layers nest).
        member = {g: t for t, g in layers.parents[level - 1].items()}
        ids, sizes = np.unique(groups[groups != OUTLIER], return_counts=True)
        for group, size in zip(ids.tolist(), sizes.tolist(), strict=True):
            rows.append(
                {
                    "layer": level,
                    "id": group,
                    "parent": None if coarser is None else coarser[member[group]],
                    "size": int(size),
                    **labels.get(group, {"label": "", "label_en": "", "label_zh": ""}),
                    "words": " | ".join(word for word, _ in words.get(group, [])[:top_n]),
                }
            )
    table = pd.DataFrame(rows, columns=["layer", "id", "parent", "size", "label", "label_en",
                                        "label_zh", "words"])  # fmt: skip
    table["parent"] = table["parent"].astype("Int64")
    return table, generic
