"""TF-IDF + truncated SVD: a corpus-fitted, lexical, monolingual embedding.

The vectoriser and SVD are fitted on the texts handed to :meth:`TfidfEmbedder.embed`, so a
document's vector depends on the whole corpus it arrives with (the pipeline's cache key covers
the corpus). Strong on English topic structure (arXiv NMI .452 vs USE .335 in the field notes),
but Chinese and English versions of the same abstract share almost no terms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from topics.cache import files_digest, tokenizer_fingerprint
from topics.config import EmbeddingSection
from topics.embed.base import check_aligned, l2_normalize, package_version
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
        tokens = tokenizer_fingerprint(tokenize) if name == "mixed" else files_digest([THIS_FILE])
        return (
            f"tfidf:sklearn-{package_version('scikit-learn')}:tokenizer={name}[{tokens}]:"
            f"min_df={MIN_DF}:max_df={MAX_DF}:sublinear=1:svd={self.dimensions}:seed={SVD_SEED}"
        )

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
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
            return np.zeros((len(texts), 1), dtype=np.float32)
        n_docs, n_terms = weights.shape
        components = min(self.dimensions, n_docs - 1, n_terms - 1)
        if components < 2:
            return l2_normalize(weights.toarray())
        svd = TruncatedSVD(n_components=components, random_state=SVD_SEED)
        return l2_normalize(svd.fit_transform(weights))


@embedders.register("tfidf")
def make_tfidf(section: EmbeddingSection, cache_dir: Path | None) -> TfidfEmbedder:
    """Factory for ``embedding.backend: tfidf``."""
    return TfidfEmbedder(dimensions=section.dimensions)
