"""Representation models selectable with ``topics.representation``.

Each factory takes the ``topics`` config section and the run's seed (``run.seed``), so a model
that samples (KeyBERTInspired picks candidate documents at random) follows the run's seed.
"""

from __future__ import annotations

from typing import Any

from topics.config import TopicsSection
from topics.registry import representations


@representations.register("ctfidf")
def make_ctfidf(section: TopicsSection, seed: int) -> Any:
    """Plain c-TF-IDF words (BERTopic's default): no extra model."""
    del section, seed
    return None


@representations.register("keybert")
def make_keybert(section: TopicsSection, seed: int) -> Any:
    """KeyBERTInspired: re-rank c-TF-IDF candidates by similarity to the topic's documents."""
    from bertopic.representation import KeyBERTInspired

    return KeyBERTInspired(top_n_words=section.top_n_words, random_state=seed)


@representations.register("mmr")
def make_mmr(section: TopicsSection, seed: int) -> Any:
    """Maximal marginal relevance: trade relevance for diversity among a topic's words."""
    del seed  # deterministic
    from bertopic.representation import MaximalMarginalRelevance

    return MaximalMarginalRelevance(
        diversity=section.mmr_diversity, top_n_words=section.top_n_words
    )
