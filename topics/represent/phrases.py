"""Phrases for labels: runs of two or three words that stand together in the abstracts.

A topic about graph learning ranks "graph", "node" and "network" high; a person writes "graph
neural network". Candidates come from the run's own tokens (no second tokenizer pass): two or
three consecutive kept tokens of a document form a phrase when they also stand next to each
other in its text — ``"graph neural network"`` in the (case-folded) abstract for English,
``"神经" + "网络"`` written without a break for Chinese (jieba's splits of a compound are glued
back). A stopword, number or punctuation between two tokens breaks the run, so "analysis of
variance" gives no "analysis variance".

Phrases pass the same document-frequency floor as words and are ranked per language and topic
by the same c-TF-IDF (:func:`topics.represent.bilingual.language_words`). Labels use them in
:func:`topics.represent.labels.label_units`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from topics.engine import LOCAL, Engine, partition_bounds
from topics.text.han import HAN

#: Longest phrase, in tokens.
MAX_PHRASE_TOKENS = 3
#: Documents whose phrases are counted to find candidates (a seeded sample above this).
CANDIDATE_DOCUMENTS = 50_000


def document_phrases(
    text: str, tokens: Sequence[str], within: frozenset[str] | set[str] | None = None
) -> set[str]:
    """The phrases of one document: consecutive tokens that are also adjacent in ``text``.

    Parameters
    ----------
    text:
        The document as read (only searched, case-insensitively for Latin tokens).
    tokens:
        Its kept tokens in reading order (:class:`topics.text.tokenizer.MixedTokenizer`).
    within:
        Look only for these phrases (the text is then searched only for runs that are among
        them: a run whose shorter prefix is not a candidate cannot be one either, since a
        prefix occurs wherever the phrase does).

    Notes
    -----
    A text of up to :data:`SEARCH_WINDOW` characters (every abstract) is searched whole for
    each run. A longer one is searched only in a window around where the run's first token
    stands: searching the whole text for every token made the search quadratic in its length
    (a 5 MB full text pasted into an abstract field stalled a run for over ten minutes).
    """
    folded = None  # lower-cased only once a run needs checking
    is_han = [bool(HAN.match(token[0])) for token in tokens]
    found: set[str] = set()
    last = len(tokens)
    window = _Window(text, last)
    for start in range(last - 1):
        han, phrase = is_han[start], tokens[start]
        for end in range(start + 1, min(start + MAX_PHRASE_TOKENS, last)):
            if is_han[end] != han:
                break  # a phrase stays in one script
            phrase = phrase + tokens[end] if han else f"{phrase} {tokens[end]}"
            if within is not None and phrase not in within:
                break
            if folded is None:
                folded = text.lower()
            low, high = window.around(folded, start, tokens[start])
            if folded.find(phrase if han else phrase.lower(), low, high) < 0:
                break  # not adjacent in the text: no longer run from here is either
            found.add(phrase)
    return found


#: Texts up to this many characters are searched whole for a phrase; longer ones near it.
SEARCH_WINDOW = 8_000


class _Window:
    """Where in a long text to look for the phrase starting at a token (the whole of a short
    one): a cursor follows the tokens through the text, each found at or after the last."""

    def __init__(self, text: str, n_tokens: int) -> None:
        self.length, self.n_tokens = len(text), max(n_tokens, 1)
        self.cursor, self.token = 0, -1

    def around(self, folded: str, token: int, word: str) -> tuple[int, int]:
        if self.length <= SEARCH_WINDOW:
            return 0, self.length
        if token != self.token:
            self.token = token
            at = folded.find(word.lower(), self.cursor, self.cursor + SEARCH_WINDOW)
            # A token the text does not spell the same way (NFKC folding) is not found: the
            # cursor then moves to where the token's share of the document puts it.
            estimate = token * self.length // self.n_tokens
            self.cursor = at if at >= 0 else max(self.cursor, estimate)
        return max(0, self.cursor - SEARCH_WINDOW // 2), self.cursor + SEARCH_WINDOW


def phrase_partition(
    partition: tuple[list[str], list[str]],
    *,
    frequent: frozenset[str] | None = None,
    within: frozenset[str] | None = None,
) -> list[list[str]]:
    """Each document's phrases, sorted (an engine task).

    With ``frequent``, only phrases whose every token is in it are kept: a phrase occurs in at
    most as many documents as its rarest token, so a token below the document-frequency floor
    can be left out of the search without losing a phrase that reaches the floor.
    """
    texts, joined = partition
    found = []
    for text, document in zip(texts, joined, strict=True):
        tokens = document.split()
        if frequent is not None:
            # A rare token ends a run: replace it by a marker that never matches the text.
            tokens = [token if token in frequent else "\x00" for token in tokens]
        found.append(sorted(p for p in document_phrases(text, tokens, within) if "\x00" not in p))
    return found


def count_phrases(
    partition: tuple[list[str], list[str]], *, frequent: frozenset[str] | None = None
) -> Counter[str]:
    """In how many of the partition's documents each phrase occurs (an engine task)."""
    counts: Counter[str] = Counter()
    for phrases in phrase_partition(partition, frequent=frequent):
        counts.update(phrases)
    return counts


def presence_partition(
    partition: tuple[list[str], list[str]],
    *,
    frequent: frozenset[str] | None,
    phrases: list[str],
) -> sparse.csr_matrix:
    """Documents × ``phrases`` presence of one partition (an engine task)."""
    column = {phrase: index for index, phrase in enumerate(phrases)}
    rows, columns = [], []
    within = frozenset(column)
    for row, found in enumerate(phrase_partition(partition, frequent=frequent, within=within)):
        for phrase in found:
            rows.append(row)
            columns.append(column[phrase])
    return sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, columns)),
        shape=(len(partition[0]), len(phrases)),
    )


def phrase_matrix(
    texts: Sequence[str],
    joined: Sequence[str],
    min_df: int,
    engine: Engine = LOCAL,
    frequent: frozenset[str] | None = None,
) -> tuple[sparse.csr_matrix, list[str]]:
    """``(documents × phrases presence, phrases)`` for phrases in at least ``min_df`` documents.

    Candidates are counted on at most :data:`CANDIDATE_DOCUMENTS` documents (a seeded sample
    above that): the distinct phrases of a million abstracts run to tens of millions, while a
    phrase that can stand in a label is common inside its topic and so is found in any sample
    of this size. Every document is then searched for the candidates, and those in at least
    ``min_df`` documents of the whole corpus are kept. Both passes run over partitions on
    ``engine``; memory holds the sample's phrase counts, not the corpus's.

    Parameters
    ----------
    texts, joined:
        The documents and their space-joined tokens, rows aligned.
    min_df:
        The document-frequency floor of the run's words (``topics.min_df`` resolved; at
        least 2 is used).
    engine:
        Runs the phrase search over partitions.
    frequent:
        Tokens in at least ``min_df`` documents (computed here when not given).
    """
    floor = max(2, min_df)
    n = len(texts)
    if frequent is None:
        from topics.represent.tokens import token_frequencies

        counts = token_frequencies(joined, engine)
        frequent = frozenset(token for token, count in counts.items() if count >= floor)
    sample = np.arange(n)
    if n > CANDIDATE_DOCUMENTS:
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(n, size=CANDIDATE_DOCUMENTS, replace=False))
    size = engine.section.partition_size
    candidates_from = [
        ([texts[i] for i in sample[a:b]], [joined[i] for i in sample[a:b]])
        for a, b in partition_bounds(len(sample), size)
    ]
    totals: Counter[str] = Counter()
    for part in engine.map(count_phrases, candidates_from, {"frequent": frequent}):
        totals.update(part)
    # On a sample, a phrase needs two sightings; on the whole corpus, the floor itself.
    sample_floor = floor if len(sample) == n else 2
    candidates = sorted(phrase for phrase, count in totals.items() if count >= sample_floor)
    del totals
    if not candidates:  # tiny or one-word corpora
        return sparse.csr_matrix((n, 0), dtype=np.int64), []
    partitions = [(list(texts[a:b]), list(joined[a:b])) for a, b in partition_bounds(n, size)]
    shared = {"frequent": frequent, "phrases": candidates}
    presence = sparse.csr_matrix(
        sparse.vstack(engine.map(presence_partition, partitions, shared), format="csr")
    )
    kept = np.flatnonzero(np.diff(presence.tocsc().indptr) >= floor)
    return presence[:, kept].tocsr(), [candidates[i] for i in kept]
