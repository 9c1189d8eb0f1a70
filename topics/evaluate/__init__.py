"""Scores for a topic run: coherence, diversity, outliers, balance, label agreement, hygiene."""

from topics.evaluate.metrics import (
    evaluate,
    label_agreement,
    label_hygiene,
    npmi_coherence,
    outlier_share,
    pairwise_ari,
    size_balance,
    topic_diversity,
)

__all__ = [
    "evaluate",
    "label_agreement",
    "label_hygiene",
    "npmi_coherence",
    "outlier_share",
    "pairwise_ari",
    "size_balance",
    "topic_diversity",
]
