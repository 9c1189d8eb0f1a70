"""Cross-lingual tools: translation-duplicate detection and zh/en retrieval recall."""

from topics.crosslingual.duplicates import (
    DEFAULT_THRESHOLD,
    THRESHOLDS,
    align_translation_labels,
    extract_anchors,
    find_translation_duplicates,
    translation_candidates,
)
from topics.crosslingual.retrieval import retrieval_recall_at_1

__all__ = [
    "DEFAULT_THRESHOLD",
    "align_translation_labels",
    "THRESHOLDS",
    "extract_anchors",
    "find_translation_duplicates",
    "retrieval_recall_at_1",
    "translation_candidates",
]
