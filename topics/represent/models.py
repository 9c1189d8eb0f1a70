"""Representation models selectable with ``topics.representation``."""

from __future__ import annotations

from typing import Any

from topics.config import TopicsSection
from topics.registry import representations


@representations.register("ctfidf")
def make_ctfidf(section: TopicsSection) -> Any:
    """Plain c-TF-IDF words (BERTopic's default): no extra model."""
    del section
    return None


@representations.register("keybert")
def make_keybert(section: TopicsSection) -> Any:
    """KeyBERTInspired: re-rank c-TF-IDF candidates by similarity to the topic's documents."""
    from bertopic.representation import KeyBERTInspired

    return KeyBERTInspired(top_n_words=section.top_n_words, random_state=42)


@representations.register("mmr")
def make_mmr(section: TopicsSection) -> Any:
    """Maximal marginal relevance: trade relevance for diversity among a topic's words."""
    from bertopic.representation import MaximalMarginalRelevance

    return MaximalMarginalRelevance(
        diversity=section.mmr_diversity, top_n_words=section.top_n_words
    )
