"""Translation duplicates: the same paper once in Chinese and once in English.

A Chinese/English pair is flagged only when three independent signals agree (a false positive
drops a real document when ``corpus.dedup: translations`` is on, so every gate is conservative):

1. **Embedding similarity.** The two documents are *mutual* nearest neighbours across the two
   languages and their cosine similarity is at least ``threshold``. The search runs block by
   block (``block_rows`` × ``block_cols`` similarities at a time), so memory stays bounded for
   100k+ documents and no ``n × n`` matrix is ever built.
2. **Anchors.** Machine translations keep what cannot be translated: numbers and Latin-script
   terms ("SimCLR", "PTQ", "GPR-MGK", "ImageNet-100"). Anchors are weighted by rarity in the
   corpus (``log(n / df)``), so a shared "0.05" or "DNA" weighs little and a shared "GPR-MGK"
   weighs a lot. ``score = similarity + anchor_weight × agreement``, where agreement is the
   weighted share of the pair's anchors found on both sides (neutral when the Chinese side
   has none: nothing could be kept verbatim).
3. **Length.** English characters / Chinese Han characters must lie in ``length_ratio``
   (98% of ChinaXiv pairs lie in 2.6-7.8; see ``bench/crosslingual.py``).

The default threshold was tuned on full multilingual USE vectors (the default backend); other
backends need their own (see :data:`THRESHOLDS`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from topics.scratch import take_rows
from topics.text.han import count_han

#: Cosine-similarity thresholds per embedding backend, measured on ChinaXiv pairs with
#: distractors (``bench/crosslingual.py``). ``None`` = the backend cannot separate
#: translations from related papers reliably; do not use it for duplicate detection.
THRESHOLDS: dict[str, float | None] = {"use": 0.70, "static": None, "tfidf": None}
# static: unrelated papers reach cosine 0.92 (no shared anchor), translations median 0.62.
DEFAULT_THRESHOLD = 0.70
"""Default similarity threshold (tuned on full USE, the default backend)."""

DEFAULT_MIN_SCORE = 0.85
"""Default minimum ``similarity + anchor_weight × agreement``."""

NEUTRAL_AGREEMENT = 0.3
"""Agreement of a pair whose Chinese side has no anchor: with the default weights such a pair
passes on similarity alone (0.70 + 0.5 × 0.3 = 0.85). Measured on 2,000 ChinaXiv pairs (USE):
recall 0.70 → 0.86 for 2 more false positives in ~870 detections."""

DEFAULT_LENGTH_RATIO = (1.0, 9.0)
"""Accepted English-characters / Chinese-characters ratios of a translation pair."""

# LaTeX in PDF conversions is spaced digit by digit ("$7 . 6 5$"); inside math, spaces carry
# no meaning, so they are removed before numbers are read.
_MATH = re.compile(r"\$[^$]{1,300}\$")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])\d+(?:\.\d+)?")
_LATIN_TERM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")


@dataclass(frozen=True)
class Anchors:
    """What a document shares with its translation, read off its text.

    Attributes
    ----------
    marked:
        Anchors this document asserts: numbers (``"#0.05"``) and marked Latin terms
        (``"simclr"``). In Chinese text every Latin term is marked (it was kept on purpose);
        in English text only acronym-like terms (``"PTQ"``, ``"ImageNet-100"``, ``"SimCLR"``).
    words:
        Every number and lower-cased Latin term (and hyphen part) in the text, to find the
        other side's marked anchors among ordinary words ("Landsat" is a plain word in
        English but marked in Chinese).
    length:
        Han characters for Chinese text, all non-space characters otherwise.
    """

    marked: frozenset[str]
    words: frozenset[str]
    length: int


def _normalise_number(text: str) -> str | None:
    """``"007.50"`` → ``"#7.5"``; one-digit integers carry no evidence and give ``None``."""
    if "." in text:
        whole, fraction = text.split(".", 1)
        whole = whole.lstrip("0") or "0"
        fraction = fraction.rstrip("0")
        return f"#{whole}.{fraction}" if fraction else (f"#{whole}" if len(whole) > 1 else None)
    whole = text.lstrip("0") or "0"
    return f"#{whole}" if len(whole) > 1 else None


def _acronym_like(term: str) -> bool:
    """True for ``PTQ``, ``SimCLR``, ``ImageNet-100``, ``GPR-MGK``, ``H2O``; not ``Model``."""
    uppercase = sum(char.isupper() for char in term)
    has_digit = any(char.isdigit() for char in term)
    return (
        uppercase >= 2
        or (has_digit and uppercase >= 1)
        or (uppercase >= 1 and not term[0].isupper())
    )


def extract_anchors(text: str, lang: str) -> Anchors:
    """Numbers and Latin-script terms of one document, for translation matching.

    Parameters
    ----------
    text:
        The document (any normalisation; full-width digits and letters are folded here).
    lang:
        ``"zh"`` marks every Latin term; any other value marks only acronym-like ones.

    Returns
    -------
    Anchors
        The document's marked anchors, all its words, and its length.

    Examples
    --------
    >>> sorted(extract_anchors("我们在ImageNet-100上用SimCLR，准确率提高２３％。", "zh").marked)
    ['#100', '#23', 'imagenet-100', 'simclr']
    """
    # NFKC folds full-width digits/letters ("２３" → "23"), which translations often use.
    folded = unicodedata.normalize("NFKC", text)
    # LaTeX command names ("\\mathbf", "\\pm") are markup, not terms; ";" keeps the numbers
    # around them apart once spaces inside math are dropped.
    folded = _LATEX_COMMAND.sub(";", folded)
    folded = _MATH.sub(lambda match: "".join(match.group(0).split()), folded)
    folded = _THOUSANDS.sub("", folded)
    numbers = {n for n in (_normalise_number(m) for m in _NUMBER.findall(folded)) if n}
    terms = _LATIN_TERM.findall(folded)
    words = {term.lower() for term in terms}
    words |= {part.lower() for term in terms if "-" in term for part in term.split("-")}
    if lang == "zh":
        marked = {term.lower() for term in terms if len(term) >= 2}
        length = count_han(folded)
    else:
        marked = {term.lower() for term in terms if _acronym_like(term)}
        length = len("".join(folded.split()))
    return Anchors(
        marked=frozenset(numbers | marked), words=frozenset(numbers | words), length=length
    )


def anchor_agreement(zh: Anchors, en: Anchors, weight: dict[str, float]) -> float:
    """Weighted share of the two documents' marked anchors that both sides contain.

    An anchor marked on one side counts as shared when the other side has it at all (marked
    or as a plain word). When the Chinese side has no anchor, a translation had nothing to
    keep verbatim (English acronyms are often spelled out in Chinese), so the result is the
    neutral :data:`NEUTRAL_AGREEMENT`: neither confirmation nor contradiction.
    """
    if not zh.marked:
        return NEUTRAL_AGREEMENT
    union = zh.marked | en.marked
    shared = (zh.marked & en.words) | (en.marked & zh.words)
    total = sum(weight.get(anchor, 1.0) for anchor in union)
    return sum(weight.get(anchor, 1.0) for anchor in shared) / total


def anchor_weights(frequency: Counter[str], count: int) -> dict[str, float]:
    """Rarity weight ``log((count + 1) / df)`` of every marked anchor across ``count`` documents."""
    return {anchor: math.log((count + 1) / df) for anchor, df in frequency.items()}


def nearest_neighbours(
    queries: np.ndarray, keys: np.ndarray, block_rows: int = 2048, block_cols: int = 16384
) -> tuple[np.ndarray, np.ndarray]:
    """Top-1 key (by dot product) of every query row, without a full similarity matrix.

    Parameters
    ----------
    queries, keys:
        float32 ``(m, d)`` and ``(k, d)``; L2-normalise them first for cosine similarity.
    block_rows, block_cols:
        Block shape; memory peaks at ``block_rows × block_cols`` float32 values (128 MB).

    Returns
    -------
    (index, similarity):
        ``int64 (m,)`` and ``float32 (m,)``; index ``-1`` and similarity ``-inf`` when there
        are no keys.
    """
    best_index = np.full(len(queries), -1, dtype=np.int64)
    best_sim = np.full(len(queries), -np.inf, dtype=np.float32)
    for row in range(0, len(queries), block_rows):
        rows = slice(row, row + block_rows)
        for col in range(0, len(keys), block_cols):
            sims = queries[rows] @ keys[col : col + block_cols].T
            local = sims.argmax(axis=1)
            value = sims[np.arange(len(local)), local]
            better = value > best_sim[rows]
            best_sim[rows] = np.where(better, value, best_sim[rows])
            best_index[rows] = np.where(better, local + col, best_index[rows])
    return best_index, best_sim


def top_match(
    queries: np.ndarray, keys: np.ndarray, block_rows: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest_neighbours` up to ``EXACT_PAIRS`` query × key pairs, approximate beyond.

    The exact search costs ``n_zh × n_en`` dot products: at 500k documents per language that is
    hours on two cores. Beyond :data:`topics.neighbours.EXACT_PAIRS` pairs a pynndescent graph
    over the keys answers each query instead (a missed pair leaves two documents unpaired; it
    never pairs wrong ones, since pairs must still be mutual and pass the same thresholds).
    """
    from topics import neighbours

    if len(queries) * len(keys) <= neighbours.EXACT_PAIRS or len(keys) < 2:
        return nearest_neighbours(queries, keys, block_rows)
    found = neighbours.ApproximateIndex(keys, seed=0).query(queries, 1)
    return found.indices[:, 0], found.similarities[:, 0]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


@dataclass(frozen=True)
class Candidate:
    """A mutual cross-language nearest-neighbour pair and its evidence (for tuning/reports)."""

    zh: int
    en: int
    similarity: float
    agreement: float
    length_ratio: float

    def score(self, anchor_weight: float) -> float:
        """``similarity + anchor_weight × agreement``."""
        return self.similarity + anchor_weight * self.agreement


def translation_candidates(
    texts: Sequence[str],
    langs: Sequence[str],
    vectors: np.ndarray,
    min_similarity: float = 0.0,
    block_rows: int = 2048,
) -> list[Candidate]:
    """Every mutual zh/en nearest-neighbour pair with similarity ≥ ``min_similarity``.

    Positions refer to the input order. See :func:`find_translation_duplicates` for the
    decision; this is its first half, exposed so benchmarks can tune the thresholds.
    """
    if len(texts) != len(langs) or len(texts) != len(vectors):
        raise ValueError(
            f"texts ({len(texts)}), langs ({len(langs)}) and vectors ({len(vectors)}) differ"
        )
    zh_rows = np.flatnonzero(np.asarray(langs, dtype=object) == "zh")
    en_rows = np.flatnonzero(np.asarray(langs, dtype=object) == "en")
    if len(zh_rows) == 0 or len(en_rows) == 0:
        return []
    # Each language's rows are read and scaled on their own: no unit copy of every vector
    # (vectors may be a file-backed array of a million rows).
    zh_unit = unit_rows(take_rows(vectors, zh_rows))
    en_unit = unit_rows(take_rows(vectors, en_rows))
    zh_best, zh_sim = top_match(zh_unit, en_unit, block_rows)
    en_best, _ = top_match(en_unit, zh_unit, block_rows)
    del zh_unit, en_unit
    mutual = (en_best[zh_best] == np.arange(len(zh_rows))) & (zh_sim >= min_similarity)
    pairs = [
        (int(zh_rows[z]), int(en_rows[zh_best[z]]), float(zh_sim[z]))
        for z in np.flatnonzero(mutual)
    ]
    if not pairs:
        return []
    # Anchor weights need every document (rarity), but only candidates' anchors are compared:
    # count the others' anchors and keep just the candidates'.
    wanted = {row for zh, en, _ in pairs for row in (zh, en)}
    frequency: Counter[str] = Counter()
    anchors: dict[int, Anchors] = {}
    for row, (text, lang) in enumerate(zip(texts, langs, strict=True)):
        found = extract_anchors(text, lang)
        frequency.update(found.marked)
        if row in wanted:
            anchors[row] = found
    weight = anchor_weights(frequency, len(texts))
    candidates = []
    for zh, en, similarity in pairs:
        ratio = anchors[en].length / max(anchors[zh].length, 1)
        agreement = anchor_agreement(anchors[zh], anchors[en], weight)
        candidates.append(Candidate(zh, en, similarity, agreement, ratio))
    return candidates


def accept_candidate(
    candidate: Candidate,
    threshold: float = DEFAULT_THRESHOLD,
    min_score: float = DEFAULT_MIN_SCORE,
    anchor_weight: float = 0.5,
    length_ratio: tuple[float, float] = DEFAULT_LENGTH_RATIO,
) -> bool:
    """The decision rule of :func:`find_translation_duplicates` for one candidate pair."""
    low, high = length_ratio
    return (
        candidate.similarity >= threshold
        and low <= candidate.length_ratio <= high
        and candidate.score(anchor_weight) >= min_score
    )


def find_translation_duplicates(
    ids: Sequence[str],
    texts: Sequence[str],
    langs: Sequence[str],
    vectors: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    min_score: float = DEFAULT_MIN_SCORE,
    anchor_weight: float = 0.5,
    length_ratio: tuple[float, float] = DEFAULT_LENGTH_RATIO,
    block_rows: int = 2048,
) -> list[str | None]:
    """Mark the later document of each likely zh/en translation pair.

    Parameters
    ----------
    ids, texts, langs:
        The corpus in order; only ``"zh"``/``"en"`` documents can pair (with each other).
    vectors:
        ``(n, d)`` embeddings, rows aligned with ``ids``; a multilingual backend (``use``).
    threshold:
        Minimum cosine similarity of a pair (also must be mutual nearest neighbours across
        the two languages). Default tuned on full USE; see :data:`THRESHOLDS`.
    min_score:
        Minimum ``similarity + anchor_weight × agreement``: a pair just above ``threshold``
        needs shared anchors (numbers, Latin terms) to pass.
    anchor_weight:
        Weight of anchor agreement (0-1, rarity-weighted share of shared anchors).
    length_ratio:
        Accepted ``(low, high)`` of English characters / Chinese Han characters.
    block_rows:
        Rows per similarity block (memory is bounded by blocks, not by ``n²``).

    Returns
    -------
    list[str | None]
        One entry per document: the id of the earlier document (by position) of which it is
        a likely translation, else ``None``. Earlier documents of a pair get ``None``.

    Examples
    --------
    >>> find_translation_duplicates(["a"], ["text"], ["en"], np.ones((1, 4), np.float32))
    [None]
    """
    if len(ids) != len(texts):
        raise ValueError(f"ids ({len(ids)}) and texts ({len(texts)}) differ")
    duplicate_of: list[str | None] = [None] * len(ids)
    for candidate in translation_candidates(texts, langs, vectors, threshold, block_rows):
        if not accept_candidate(candidate, threshold, min_score, anchor_weight, length_ratio):
            continue
        earlier, later = sorted((candidate.zh, candidate.en))
        duplicate_of[later] = ids[earlier]
    return duplicate_of


def align_translation_labels(
    labels: np.ndarray, ids: Sequence[str], duplicate_of: Sequence[str | None]
) -> np.ndarray:
    """Give each detected translation the cluster of the document it translates.

    One paper in two languages is one subject: where the clusterer split a detected pair (or
    left one side an outlier), the later copy takes the earlier copy's cluster; if the earlier
    copy is the outlier, it takes the later copy's cluster instead.

    Parameters
    ----------
    labels:
        Cluster per document (``-1`` = outlier).
    ids:
        Document ids, aligned with ``labels``.
    duplicate_of:
        From :func:`find_translation_duplicates`: the id of the earlier copy, or ``None``.

    Returns
    -------
    numpy.ndarray
        A new label array; documents outside detected pairs keep their labels.
    """
    aligned = np.asarray(labels).copy()
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    for later, original in enumerate(duplicate_of):
        earlier = position.get(original) if original else None
        if earlier is None:
            continue
        if aligned[earlier] != -1:
            aligned[later] = aligned[earlier]
        else:
            aligned[earlier] = aligned[later]
    return aligned
