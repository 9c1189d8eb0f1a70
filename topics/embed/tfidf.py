"""TF-IDF + truncated SVD: a corpus-fitted, lexical, monolingual embedding.

The vectoriser and SVD are fitted on the texts handed to :meth:`TfidfEmbedder.embed`, so a
document's vector depends on the whole corpus it arrives with (the pipeline's cache key covers
the corpus). Strong on English topic structure (arXiv NMI .452 vs USE .335 in the field notes),
but Chinese and English versions of the same abstract share almost no terms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.base import check_aligned, l2_normalize, package_version
from topics.hashing import files_digest
from topics.registry import embedders
from topics.text.han import HAN_RUN

THIS_FILE = Path(__file__)
SVD_SEED = 0
MIN_DF, MAX_DF = 2, 0.5
# Below this many documents min_df/max_df would remove every term.
SMALL_CORPUS = 10

_LATIN_WORD = re.compile(r"[^\W\d_](?:[\w'-]*\w)?", re.UNICODE)
_CJK_RUN = HAN_RUN


def fallback_tokens(text: str) -> list[str]:
    """Lower-cased non-CJK words plus character bigrams of each CJK run (single chars alone)."""
    tokens = [word.lower() for word in _LATIN_WORD.findall(_CJK_RUN.sub(" ", text))]
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def load_tokenizer() -> tuple[str, Callable[[str], list[str]]]:
    """``topics.text.tokenizer.MixedTokenizer`` when present, else :func:`fallback_tokens`."""
    try:
        from topics.text.tokenizer import MixedTokenizer
    except ImportError:
        return "regex-bigram", fallback_tokens
    return "mixed", MixedTokenizer()


class TfidfEmbedder:
    """Sublinear TF-IDF (min_df 2, max_df 0.5) → TruncatedSVD → L2, fitted on the given texts.

    Parameters
    ----------
    dimensions:
        SVD output dimensions, capped at ``n_docs - 1`` and ``n_terms - 1``.
    """

    name = "tfidf"
    #: Vectors depend on the whole corpus: the pipeline passes every text at once.
    corpus_fitted = True

    def __init__(self, dimensions: int = 100) -> None:
        self.dimensions = dimensions

    def fingerprint(self) -> str:
        name, tokenize = load_tokenizer()
        # The tokens decide the vectors: the mixed tokenizer's settings, rules, stopword
        # files and jieba version are part of the key (the fallback is this module's code).
        tokens = tokenize.fingerprint() if name == "mixed" else files_digest([THIS_FILE])
        return (
            f"tfidf:sklearn-{package_version('scikit-learn')}:tokenizer={name}[{tokens}]:"
            f"min_df={MIN_DF}:max_df={MAX_DF}:sublinear=1:svd={self.dimensions}:seed={SVD_SEED}"
        )

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        return fit_lexical(texts, self.dimensions)[0]


def fit_lexical(texts: Sequence[str], dimensions: int) -> tuple[np.ndarray, LexicalModel]:
    """TF-IDF + SVD fitted on ``texts``: their unit vectors and the model that made them.

    The model holds plain arrays (:class:`LexicalModel`), so a run can store it and embed a
    later document into the same space.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    _, tokenize = load_tokenizer()
    small = len(texts) < SMALL_CORPUS
    vectorizer = TfidfVectorizer(
        tokenizer=tokenize,
        lowercase=False,  # the tokenizer decides; lower-casing Chinese is a no-op anyway
        token_pattern=None,
        sublinear_tf=True,
        min_df=1 if small else MIN_DF,
        max_df=1.0 if small else MAX_DF,
    )
    try:
        weights = vectorizer.fit_transform(list(texts))
    except ValueError:  # empty vocabulary: no term survives (tiny or blank corpus)
        return np.zeros((len(texts), 1), dtype=np.float32), LexicalModel.empty()
    vocabulary = np.asarray(vectorizer.get_feature_names_out(), dtype=str)
    n_docs, n_terms = weights.shape
    components = min(dimensions, n_docs - 1, n_terms - 1)
    if components < 2:
        model = LexicalModel(vocabulary, vectorizer.idf_.astype(np.float64), None)
        return l2_normalize(weights.toarray()), model
    svd = TruncatedSVD(n_components=components, random_state=SVD_SEED)
    vectors = l2_normalize(svd.fit_transform(weights))
    return vectors, LexicalModel(vocabulary, vectorizer.idf_.astype(np.float64), svd.components_)


@dataclass(frozen=True)
class LexicalModel:
    """A fitted TF-IDF + SVD as plain arrays (no pickle): embeds new texts in the fitted space.

    Attributes
    ----------
    vocabulary:
        The kept terms, in column order (empty: nothing survived the fit).
    idf:
        Inverse document frequency of each term.
    components:
        ``(dimensions, terms)`` SVD components, or ``None`` when the fit was too small for one.
    """

    vocabulary: np.ndarray
    idf: np.ndarray
    components: np.ndarray | None

    #: The names :meth:`arrays` stores them under (``components`` absent without an SVD).
    ARRAYS: ClassVar[tuple[str, ...]] = ("vocabulary", "idf", "components")

    @classmethod
    def empty(cls) -> LexicalModel:
        return cls(np.asarray([], dtype=str), np.zeros(0), None)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts``: sublinear term counts × idf, L2, SVD, L2 — as fitted."""
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        if self.vocabulary.size == 0:
            return np.zeros((len(texts), 1), dtype=np.float32)
        _, tokenize = load_tokenizer()
        counter = CountVectorizer(
            tokenizer=tokenize, lowercase=False, token_pattern=None, vocabulary=self.vocabulary
        )
        weights = counter.transform(list(texts)).astype(np.float64)
        weights.data = np.log(weights.data) + 1.0  # sublinear_tf, as TfidfVectorizer does
        weights = normalize(weights.multiply(self.idf).tocsr())
        if self.components is None:
            return l2_normalize(weights.toarray())
        return l2_normalize(weights @ self.components.T)

    def digest(self) -> str:
        """A digest of the arrays: two runs share it only if they embed text identically."""
        import hashlib

        hasher = hashlib.sha256("\n".join(self.vocabulary.tolist()).encode("utf-8"))
        hasher.update(np.ascontiguousarray(self.idf, dtype=np.float64).tobytes())
        if self.components is not None:
            hasher.update(np.ascontiguousarray(self.components, dtype=np.float64).tobytes())
        return hasher.hexdigest()[:24]

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to store (``components`` only when there is an SVD)."""
        stored = {"vocabulary": self.vocabulary, "idf": self.idf}
        if self.components is not None:
            stored["components"] = self.components
        return stored

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LexicalModel:
        """Inverse of :meth:`arrays`."""
        return cls(
            np.asarray(arrays["vocabulary"], dtype=str),
            np.asarray(arrays["idf"], dtype=np.float64),
            None if arrays.get("components") is None else np.asarray(arrays["components"]),
        )


@embedders.register("tfidf")
def make_tfidf(section: EmbeddingSection, cache_dir: Path | None) -> TfidfEmbedder:
    """Factory for ``embedding.backend: tfidf``."""
    return TfidfEmbedder(dimensions=section.dimensions)
