"""Topics for new documents from a finished run, without touching its folder.

One :class:`Predictor` serves ``topics assign`` (which then appends the documents to the run
folder) and :meth:`topics.api.Run.predict` (which only returns them): the run's own embedder,
built once and checked against the fingerprint of the vectors the run was fitted on, embeds
the documents through the cache, the run's lexical block is joined on, and the run's assigner
(:mod:`topics.assign.store`) votes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from topics.assign.store import Assigner, Assignment
from topics.config import RunConfig
from topics.errors import InputError
from topics.types import Corpus


@dataclass(frozen=True)
class Predictor:
    """A run's assigner and the embedder that makes vectors comparable with its core.

    Attributes
    ----------
    config:
        The run's config (with the caller's overrides).
    embedder:
        Built once, by :func:`topics.preflight.preflight`.
    assigner:
        The run's ``assign/`` folder, loaded.
    kept:
        Vectors of the novel documents earlier assigns kept (``novel/``), or ``None``.
    """

    config: RunConfig
    embedder: Any
    assigner: Assigner
    kept: np.ndarray | None = None

    @classmethod
    def for_run(cls, run: Any, config: RunConfig, corpus_source: str = "documents") -> Predictor:
        """The predictor of the run folder ``run`` (:class:`topics.run_folder.RunFolder`).

        Raises
        ------
        InputError
            When the run has no assigner, or ``config`` would embed with another embedder
            than the one the run's vectors came from.
        """
        from topics.embed.lexical import lexical_fingerprint
        from topics.preflight import preflight

        checked = preflight(config, corpus_source=corpus_source)
        assigner = run.assigner()
        fingerprint = lexical_fingerprint(checked.embedder.fingerprint(), assigner.lexical)
        if fingerprint != assigner.fingerprint:
            raise InputError(
                f"Run folder '{run.path}' was embedded with '{assigner.fingerprint}'; this "
                f"assign would embed with '{fingerprint}'. Vectors of different embedders "
                "cannot be compared: keep the run's embedding.* settings."
            )
        _, kept = run.novel()
        return cls(config, checked.embedder, assigner, kept if len(kept) else None)

    def predict(self, corpus: Corpus, progress: Any = None) -> Assignment:
        """Topic, vote share, map position and novelty of each document of ``corpus``."""
        from topics.embed.centring import centre
        from topics.embed.lexical import embed_with_lexical
        from topics.embed.stage import embed_corpus
        from topics.engine import open_engine
        from topics.progress import SilentProgress

        if not len(corpus):
            width = self.assigner.vectors.shape[1]
            return self.assigner.assign(np.empty((0, width), dtype=np.float32))
        progress = progress or SilentProgress()
        progress.start("embed", len(corpus))
        began = time.perf_counter()
        with open_engine(self.config.engine) as engine:
            vectors = embed_corpus(corpus, self.config, progress, engine, self.embedder).vectors
            if self.assigner.language_means is not None:  # as the run centred its own
                vectors = centre(vectors, corpus.langs, self.assigner.language_means)
            vectors = embed_with_lexical(vectors, corpus.texts, self.assigner.lexical)
            progress.finish("embed", time.perf_counter() - began, f"{len(corpus)} new documents")
            return self.assigner.assign(
                vectors, seed=self.config.run.seed, engine=engine, kept=self.kept
            )
