"""Cross-lingual tools: translation-duplicate detection and zh/en retrieval recall."""

from topics.crosslingual.duplicates import (
    DEFAULT_THRESHOLD,
    THRESHOLDS,
    extract_anchors,
    find_translation_duplicates,
    translation_candidates,
)
from topics.crosslingual.retrieval import retrieval_recall_at_1

__all__ = [
    "DEFAULT_THRESHOLD",
    "THRESHOLDS",
    "extract_anchors",
    "find_translation_duplicates",
    "retrieval_recall_at_1",
    "translation_candidates",
]
