"""The run folder's assigner (``assign/``): what adding documents to a run needs, no pickles.

A run saves the vectors, final topics and map positions of the documents its clustering was
fitted on (the core: every document below ``cluster.fit_sample``), the fingerprint of the
embedder that made the vectors, and a novelty threshold. ``topics assign`` loads it and gives a
new document the topic its nearest core documents vote for (:mod:`topics.assign.knn`); a new
document less similar to every core document than almost any core document is to its own
nearest neighbour stays ``-1`` and is counted as *novel*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from topics.assign.knn import nearest, nearest_rows, place, vote
from topics.atomic import atomic_save_npy, atomic_write_text
from topics.embed.tfidf import LexicalModel
from topics.engine import LOCAL, Engine
from topics.errors import InputError
from topics.scratch import take_rows

if TYPE_CHECKING:
    from topics.config import ClusterSection

FOLDER = "assign"
FORMAT = 1
#: Core documents sampled to calibrate the novelty threshold (bounds its cost at any size).
NOVELTY_PROBES = 2000
#: The novelty threshold is this percentile of core documents' nearest-neighbour similarity.
NOVELTY_PERCENTILE = 1.0


@dataclass(frozen=True)
class Assigner:
    """The core of a run, as ``topics assign`` needs it.

    Attributes
    ----------
    vectors:
        float32 ``(m, d)`` core document vectors.
    topics:
        Final topic of each core document (``-1`` = outlier).
    coords:
        float32 ``(m, 2)`` map positions of the core documents.
    fingerprint:
        The embedder's fingerprint: new vectors must come from the same embedder.
    neighbors:
        Core documents that vote on each new document.
    novelty_similarity:
        Below this cosine similarity to every core document, a new document is novel.
    lexical:
        The run's lexical block (:mod:`topics.embed.lexical`), which new vectors must also
        carry, or ``None``.
    language_means:
        Each language's mean vector the run removed (:mod:`topics.embed.centring`), which new
        vectors must lose too, or ``None``.
    """

    vectors: np.ndarray
    topics: np.ndarray
    coords: np.ndarray
    fingerprint: str
    neighbors: int
    novelty_similarity: float
    lexical: LexicalModel | None = None
    language_means: np.ndarray | None = None

    def assign(
        self,
        vectors: np.ndarray,
        seed: int = 0,
        engine: Engine = LOCAL,
        kept: np.ndarray | None = None,
    ) -> Assignment:
        """Topics, vote shares, map positions and novelty of new document vectors.

        The search runs over partitions on ``engine`` (the index over the core built once).
        ``kept`` are the vectors of the novel documents earlier assigns kept (``novel/``):
        a new document among them and this assign's documents rather than among the core is
        novel too (:func:`topics.assign.candidates.crowded_by_new`).
        """
        from topics.assign.candidates import crowded_by_new

        if len(vectors) == 0:
            empty = np.empty(0)
            return Assignment(
                empty.astype(np.int64),
                empty.astype(np.float32),
                np.empty((0, 2)),
                empty > 0,
                empty > 0,
                np.asarray(vectors, dtype=np.float32),
            )
        rows = np.arange(len(vectors))
        neighbours = nearest_rows(self.vectors, vectors, rows, self.neighbors, seed, engine)
        topics, shares = vote(self.topics, neighbours)
        coords = place(self.coords, self.topics, neighbours, topics)
        far = neighbours.similarities[:, 0] < self.novelty_similarity
        kept = np.zeros((0, vectors.shape[1]), np.float32) if kept is None else kept
        # The vote's search of the core serves the crowding rule too (no second search).
        crowded = crowded_by_new(
            self.vectors, vectors, kept, self.neighbors, seed, neighbours.similarities
        )
        crowded &= ~far
        novel = far | crowded
        topics = np.where(novel, -1, topics)
        return Assignment(topics, shares, coords, novel, crowded, vectors)


@dataclass(frozen=True)
class Assignment:
    """What :meth:`Assigner.assign` found for each new document.

    ``novel`` holds both kinds of novel documents, ``crowded`` those novel only for being
    among new documents (see :mod:`topics.assign.candidates`); ``vectors`` are the documents'
    vectors (kept in the run folder for the novel ones).
    """

    topics: np.ndarray
    shares: np.ndarray
    coords: np.ndarray
    novel: np.ndarray
    crowded: np.ndarray
    vectors: np.ndarray


def build_assigner(
    vectors: np.ndarray,
    topics: np.ndarray,
    coords: np.ndarray,
    fingerprint: str,
    neighbors: int,
    seed: int,
    lexical: LexicalModel | None = None,
    language_means: np.ndarray | None = None,
) -> Assigner:
    """An assigner for a run's core, with its novelty threshold calibrated on the core itself."""
    vectors = np.asarray(vectors, dtype=np.float32)
    rng = np.random.default_rng(seed)
    size = min(NOVELTY_PROBES, len(vectors))
    probes = np.sort(rng.choice(len(vectors), size=size, replace=False))
    threshold = -1.0
    if len(vectors) >= 2:
        found = nearest(vectors, vectors[probes], 2, seed)
        # Column 0 is the probe itself (the corpus holds no duplicate texts).
        threshold = float(np.percentile(found.similarities[:, 1], NOVELTY_PERCENTILE))
    return Assigner(
        vectors=vectors,
        topics=np.asarray(topics, dtype=np.int64),
        coords=np.asarray(coords, dtype=np.float32),
        fingerprint=fingerprint,
        neighbors=neighbors,
        novelty_similarity=round(threshold, 6),
        lexical=lexical,
        language_means=language_means,
    )


def run_assigner(
    embedder: Any,
    vectors: np.ndarray,
    topics: np.ndarray,
    coords: np.ndarray,
    core: np.ndarray | None,
    lexical: LexicalModel | None,
    section: ClusterSection,
    seed: int,
    language_means: np.ndarray | None = None,
) -> Assigner | None:
    """A run's assigner over its fitted documents (``core``; ``None`` = all), or ``None`` when
    its embedder cannot embed new documents the same way (corpus-fitted or read from a file)."""
    from topics.embed.lexical import lexical_fingerprint
    from topics.registry import capable

    if not capable(embedder, "embeds_words"):
        return None
    fitted = np.arange(len(topics)) if core is None else core
    return build_assigner(
        take_rows(vectors, fitted),
        np.asarray(topics)[fitted],
        np.asarray(coords)[fitted],
        lexical_fingerprint(embedder.fingerprint(), lexical),
        section.neighbors,
        seed,
        lexical,
        language_means,
    )


def save_assigner(assigner: Assigner, folder: Path) -> None:
    """Write ``vectors.npy``, ``topics.npy``, ``map2d.npy``, ``assigner.json``, for a run
    with a lexical block its arrays (``lexical-vocabulary.npy``, ``-idf``, ``-components``) and
    for a language-centred run ``language-means.npy``."""
    atomic_save_npy(folder / "vectors.npy", assigner.vectors, key="output.dir")
    atomic_save_npy(folder / "topics.npy", assigner.topics, key="output.dir")
    atomic_save_npy(folder / "map2d.npy", assigner.coords, key="output.dir")
    meta = {
        "format": FORMAT,
        "fingerprint": assigner.fingerprint,
        "neighbors": assigner.neighbors,
        "novelty_similarity": assigner.novelty_similarity,
        "documents": len(assigner.topics),
        "dimensions": int(assigner.vectors.shape[1]),
        "lexical": assigner.lexical is not None,
        "language_centred": assigner.language_means is not None,
    }
    if assigner.lexical is not None:
        for name, array in assigner.lexical.arrays().items():
            atomic_save_npy(folder / f"lexical-{name}.npy", array, key="output.dir")
    if assigner.language_means is not None:
        atomic_save_npy(folder / "language-means.npy", assigner.language_means, key="output.dir")
    atomic_write_text(folder / "assigner.json", json.dumps(meta, indent=1), key="output.dir")


def read_fingerprint(run_dir: Path) -> str | None:
    """The embedder fingerprint in a run's ``assign/assigner.json`` (``None`` when it has no
    assigner or the file does not parse), without loading the vectors."""
    try:
        return str(
            json.loads((run_dir / FOLDER / "assigner.json").read_text("utf-8"))["fingerprint"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_assigner(run_dir: Path) -> Assigner:
    """Read a run's assigner; a one-line InputError when it is missing or damaged."""
    folder = run_dir / FOLDER
    if not (folder / "assigner.json").is_file():
        raise InputError(
            f"Run folder '{run_dir}' has no {FOLDER}/assigner.json: it was written by an older "
            "version or with an embedding that cannot embed new documents (tfidf, precomputed); "
            "run it again to add documents to it."
        )
    try:
        meta = json.loads((folder / "assigner.json").read_text("utf-8"))
        arrays = {
            name: np.load(folder / f"{name}.npy", allow_pickle=False)
            for name in ("vectors", "topics", "map2d")
        }
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT}")
        if not len(arrays["vectors"]) == len(arrays["topics"]) == len(arrays["map2d"]):
            raise ValueError("vectors, topics and map2d have different lengths")
        lexical = None
        if meta.get("lexical"):
            stored = {
                name: np.load(path, allow_pickle=False)
                for name in LexicalModel.ARRAYS
                if (path := folder / f"lexical-{name}.npy").is_file()
            }
            lexical = LexicalModel.from_arrays(stored)
        means = None
        if meta.get("language_centred"):
            means = np.load(folder / "language-means.npy", allow_pickle=False)
            if means.shape[1:] != arrays["vectors"].shape[1:] and lexical is None:
                raise ValueError("language-means.npy does not match the vectors")
        return Assigner(
            vectors=arrays["vectors"],
            topics=arrays["topics"],
            coords=arrays["map2d"],
            fingerprint=str(meta["fingerprint"]),
            neighbors=int(meta["neighbors"]),
            novelty_similarity=float(meta["novelty_similarity"]),
            lexical=lexical,
            language_means=means,
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"{folder}: not a readable assigner ({error}).") from None
