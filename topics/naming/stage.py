"""The naming stage: offline names for every layer, fine → coarse, then the LLM where asked.

Fine topics are named first; each coarser group is named from its own words and phrases plus
its children's names (toponymy's order), so a group's name may generalise its children's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.common import OUTLIER
from topics.naming.offline import (
    Choice,
    Fragments,
    choose_names,
    group_candidates,
    odd_segments,
    shared_heads,
)
from topics.represent.labels import combine
from topics.text.han import HAN

#: Columns the names add to ``topics.csv`` and ``layers.csv``.
NAME_COLUMNS = ("name", "name_en", "name_zh")
#: Representative titles per node kept for the LLM's prompt.
PROMPT_TITLES = 5
LANGS = ("en", "zh")


@dataclass(frozen=True)
class Node:
    """What a name is made from: one topic (layer 0) or one group of a coarser layer.

    Attributes
    ----------
    layer, id, size:
        Where the node is and how many documents it holds.
    keywords:
        ``{lang: [unit, ...]}``: its label's units per language.
    candidates:
        ``{lang: [phrase, ...]}``: offline name candidates (words, phrases, children's names).
    titles:
        Titles (or openings) of its documents closest to its mean vector.
    children:
        Ids of its nodes in the next finer layer (empty for a topic).
    """

    layer: int
    id: int
    size: int
    keywords: dict[str, list[str]]
    candidates: dict[str, list[str]]
    titles: list[str] = field(default_factory=list)
    children: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Names:
    """Every node's name.

    Attributes
    ----------
    table:
        ``layer, id, name, name_en, name_zh, name_source`` (``offline`` or ``llm``).
    record:
        The manifest's ``naming`` entry (method, counts; for the LLM its summary, never a key).
    summary:
        One line for the run output when the LLM did not name every node (``None`` otherwise).
    """

    table: pd.DataFrame
    record: dict[str, Any]
    summary: str | None = None

    def of_layer(self, layer: int) -> pd.DataFrame:
        """``id`` and the name columns of one layer."""
        rows = self.table[self.table["layer"] == layer]
        return rows[["id", *NAME_COLUMNS]].reset_index(drop=True)


def name_topics(
    topics: Any,
    corpus: Any,
    layers: Any,
    layer_columns: dict[str, np.ndarray],
    layer_table: pd.DataFrame | None,
    embedder: Any,
    config: Any,
    cache_root: Path | None = None,
    language_means: np.ndarray | None = None,
) -> Names:
    """Names of every fine topic and layer group (see :mod:`topics.naming`).

    Parameters
    ----------
    topics:
        The represent stage's :class:`~topics.types.Topics` (its labeler, assignments, topic
        vectors and representative documents), rows in the pipeline's order.
    corpus:
        The documents, same order.
    layers, layer_columns, layer_table:
        :class:`topics.layers.Layers`, each coarser layer's group per document and
        ``layers.csv`` (for each node's parent); ``None``/empty when layers are off.
    embedder:
        The run's embedder (a backend that cannot embed short text is replaced by
        ``distilled`` for naming).
    config:
        The run's :class:`~topics.config.RunConfig` (``topics.naming``, ``topics.label_language``).
    cache_root:
        The run's cache folder (the LLM's answers are kept under it).
    language_means:
        The means a language-centred run removed (:mod:`topics.embed.centring`): candidates
        are centred alike before they meet the topics' mean vectors.
    """
    from topics.text.tokenizer import MixedTokenizer

    labeler = topics.labeler
    fine = topics.table[topics.table["topic"] != OUTLIER]
    if labeler is None or fine.empty:
        return _from_labels(topics.table, layer_table)
    segment = MixedTokenizer(config.topics.extra_stopwords)
    odd_chinese = _odd_chinese(segment)
    embed, centroids = _embedding(topics, corpus, embedder, config, language_means)
    sizes = {int(t): int(s) for t, s in zip(fine["topic"], fine["size"], strict=True)}
    titles = _titles(corpus, topics.representative_ids)
    levels = [(0, np.asarray(topics.assignments), topics.words)]
    for level, column in enumerate(getattr(layers, "columns", []) or [], start=1):
        levels.append((level, np.asarray(layer_columns[column]), None))

    nodes: list[Node] = []
    chosen: dict[tuple[int, int], dict[str, Choice]] = {}
    for level, groups, fallback in levels:
        found = labeler.label(groups, fallback)
        members = _members(level, layers, sizes)
        layer = _Layer(
            level,
            found,
            members,
            {group: sum(sizes[t] for t in topics) for group, topics in members.items()},
            _children(layer_table, level),
        )
        candidates = _candidates(layer, chosen, Fragments(found, odd_chinese), segment)
        means = _group_means(centroids, members, sizes)
        for lang in LANGS:
            coverage = {
                group: {
                    unit: found.frequencies.in_topic(group, unit) / max(layer.sizes[group], 1)
                    for unit in units
                }
                for group, units in candidates[lang].items()
            }
            picked = choose_names(candidates[lang], means, embed, lang, segment, coverage)
            for group, choice in picked.items():
                chosen.setdefault((level, group), {})[lang] = choice
        nodes += _nodes(layer, candidates, titles, sizes)
    rows = []
    for node in nodes:
        picked = chosen.get((node.layer, node.id), {})
        name_en = picked["en"].name if "en" in picked else ""
        name_zh = picked["zh"].name if "zh" in picked else ""
        name = combine(name_en, name_zh, labeler.language) or _first_unit(node)
        rows.append(
            {
                "layer": node.layer,
                "id": node.id,
                "name": name,
                "name_en": name_en,
                "name_zh": name_zh,
                "name_source": "offline",
            }  # fmt: skip
        )
    table = pd.DataFrame(rows, columns=["layer", "id", *NAME_COLUMNS, "name_source"])
    record: dict[str, Any] = {"method": "offline", "named": len(table)}
    summary = None
    if config.topics.naming.method == "llm":
        from topics.naming.llm import name_with_llm

        table, record, summary = name_with_llm(
            nodes, table, config.topics.naming, labeler.language, cache_root
        )
    return Names(table, record, summary)


@dataclass(frozen=True)
class _Layer:
    """One layer being named: its labels, each group's fine topics, sizes and children."""

    level: int
    found: Any
    members: dict[int, list[int]]
    sizes: dict[int, int]
    children: dict[int, list[int]]


def _candidates(
    layer: _Layer,
    chosen: dict[tuple[int, int], dict[str, Choice]],
    fragment: Fragments,
    segment: Callable[[str], list[str]],
) -> dict[str, dict[int, list[str]]]:
    """``{lang: {group: candidates}}``; a group also gets its children's names (already
    chosen, one layer down) and the head words two of them share."""
    out: dict[str, dict[int, list[str]]] = {lang: {} for lang in LANGS}
    for group in sorted(layer.members):
        for lang in LANGS:
            below = [
                choice.name
                for child in layer.children.get(group, [])
                if (choice := chosen.get((layer.level - 1, child), {}).get(lang))
            ]
            extra = [*below, *shared_heads(below, segment)] if len(below) > 1 else below
            out[lang][group] = group_candidates(layer.found, group, lang, extra, fragment)
    return out


def _nodes(
    layer: _Layer,
    candidates: dict[str, dict[int, list[str]]],
    titles: dict[int, list[str]],
    sizes: dict[int, int],
) -> list[Node]:
    """The layer's nodes, for the LLM's prompts (a group's titles: one per topic, largest
    topic first, then the next of each)."""
    nodes = []
    for group in sorted(layer.members):
        label = layer.found.labels.get(group, {})
        topics = sorted(layer.members[group], key=lambda t: (-sizes[t], t))
        rounds = zip_longest(*(titles.get(t, []) for t in topics))
        picked = [title for round_ in rounds for title in round_ if title][:PROMPT_TITLES]
        nodes.append(
            Node(
                layer=layer.level,
                id=group,
                size=layer.sizes[group],
                keywords={
                    lang: [u for u in label.get(f"label_{lang}", "").split(" · ") if u]
                    for lang in LANGS
                },
                candidates={lang: candidates[lang][group] for lang in LANGS},
                titles=picked,
                children=layer.children.get(group, []),
            )
        )
    return nodes


def with_names(table: pd.DataFrame, names: pd.DataFrame, key: str) -> pd.DataFrame:
    """``table`` with the name columns of ``names`` (``id`` + columns) joined on ``key``,
    placed right after ``label`` (outliers and unnamed rows get empty names)."""
    table = table.drop(columns=[c for c in NAME_COLUMNS if c in table.columns])
    lookup = names.set_index("id")
    ids = table[key].astype(int)
    position = list(table.columns).index("label") + 1 if "label" in table.columns else 0
    for offset, column in enumerate(NAME_COLUMNS):
        values = ids.map(lookup[column]) if len(lookup) else pd.Series("", index=table.index)
        table.insert(position + offset, column, values.fillna("").astype(str))
    return table


def _first_unit(node: Node) -> str:
    """A node no candidate names: its first keyword (any language)."""
    for lang in LANGS:
        if node.keywords.get(lang):
            return node.keywords[lang][0]
    return ""


def _from_labels(table: pd.DataFrame, layer_table: pd.DataFrame | None) -> Names:
    """Without a labeler (no topics, or words could not be counted): names are the labels."""
    rows = []
    sources = [(0, table.rename(columns={"topic": "id"}))]
    if layer_table is not None:
        sources += [(None, layer_table)]
    for level, frame in sources:
        for record in frame.to_dict("records"):
            if int(record["id"]) == OUTLIER:
                continue
            rows.append(
                {
                    "layer": int(record["layer"]) if level is None else level,
                    "id": int(record["id"]),
                    **{
                        column: str(record.get(column.replace("name", "label"), "") or "")
                        for column in NAME_COLUMNS
                    },
                    "name_source": "offline",
                }
            )
    frame = pd.DataFrame(rows, columns=["layer", "id", *NAME_COLUMNS, "name_source"])
    frame = frame.drop_duplicates(["layer", "id"])
    return Names(frame, {"method": "offline", "named": len(frame)})


def _embedding(
    topics: Any, corpus: Any, embedder: Any, config: Any, means: np.ndarray | None = None
) -> tuple[Callable[[list[str]], np.ndarray], dict[int, np.ndarray]]:
    """The embedder names are ranked with, and each topic's unit mean vector in its space.

    The run's own embedder when it embeds short text: its vectors are the first columns of the
    run's (a TF-IDF block may follow), so the topics' mean vectors are reused. Otherwise
    (vectors from a file, TF-IDF) the ``distilled`` table, with each topic's mean taken over its
    representative documents.
    """
    from topics.registry import capable

    def embed_with(model: Any) -> Callable[[list[str]], np.ndarray]:
        return lambda texts: np.asarray(model.embed(texts, [str(i) for i in range(len(texts))]))

    if capable(embedder, "embeds_words"):
        embed = embed_with(embedder)
        if means is not None:
            embed = _centred(embed, means)
        width = embed(["topic"]).shape[1]
        centroids = {t: _unit(np.asarray(v)[:width]) for t, v in topics.topic_vectors.items()}
        return embed, centroids
    from topics.embed.distilled import shipped_embedder

    embed = embed_with(shipped_embedder(config.embedding))
    index = {doc: i for i, doc in enumerate(corpus.ids)}
    centroids = {}
    for topic, ids in topics.representative_ids.items():
        texts = [corpus.texts[index[d]] for d in ids if d in index]
        if texts:
            centroids[int(topic)] = _unit(embed(texts).mean(axis=0))
    return embed, centroids


def _odd_chinese(segment: Any) -> Callable[[str], bool]:
    """:func:`topics.naming.offline.odd_segments` with jieba's dictionary and the one-character
    Chinese stopwords."""
    from topics.text.stopwords import stopwords
    from topics.text.tokenizer import in_jieba_dictionary

    single = {word for word in stopwords(()) if len(word) == 1 and HAN.match(word)}
    return odd_segments(segment, in_jieba_dictionary, single)


def _centred(
    embed: Callable[[list[str]], np.ndarray], means: np.ndarray
) -> Callable[[list[str]], np.ndarray]:
    """``embed`` followed by the run's language centring (a text's language by its script)."""
    from topics.embed.centring import centre, text_langs

    return lambda texts: centre(embed(texts), text_langs(texts), means)


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _titles(corpus: Any, representative: dict[int, list[str]]) -> dict[int, list[str]]:
    """Each topic's representative documents as a title, or the text's opening."""
    index = {doc: i for i, doc in enumerate(corpus.ids)}
    out: dict[int, list[str]] = {}
    for topic, ids in representative.items():
        rows = [index[d] for d in ids if d in index]
        out[int(topic)] = [
            " ".join(str(corpus.titles[i] or corpus.texts[i][:160]).split()) for i in rows
        ]
    return out


def _members(level: int, layers: Any, sizes: dict[int, int]) -> dict[int, list[int]]:
    """``{node: [fine topics]}`` of one layer."""
    if level == 0:
        return {t: [t] for t in sizes}
    members: dict[int, list[int]] = {}
    for topic, group in layers.parents[level - 1].items():
        if group != OUTLIER and topic in sizes:
            members.setdefault(int(group), []).append(int(topic))
    return members


def _group_means(
    centroids: dict[int, np.ndarray], members: dict[int, list[int]], sizes: dict[int, int]
) -> dict[int, np.ndarray]:
    """A group's mean vector: its topics' means weighted by their sizes."""
    means = {}
    for group, topics in members.items():
        kept = [t for t in topics if t in centroids]
        if kept:
            means[group] = _unit(sum(centroids[t] * sizes[t] for t in kept))
    return means


def _children(layer_table: pd.DataFrame | None, level: int) -> dict[int, list[int]]:
    """``{group: [ids in layer level-1]}`` from ``layers.csv``'s parents."""
    if layer_table is None or level == 0 or layer_table.empty:
        return {}
    finer = layer_table[(layer_table["layer"] == level - 1) & layer_table["parent"].notna()]
    children: dict[int, list[int]] = {}
    for node, parent in zip(finer["id"], finer["parent"], strict=True):
        children.setdefault(int(parent), []).append(int(node))
    return children
