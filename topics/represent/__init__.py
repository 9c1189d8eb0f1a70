"""Topic representation: BERTopic's c-TF-IDF over our tokenization, plus per-language words."""

from topics.represent.bertopic_stage import quiet_logger, represent
from topics.represent.tokens import build_vocabulary, resolve_min_df, tokenize_corpus

__all__ = ["build_vocabulary", "quiet_logger", "represent", "resolve_min_df", "tokenize_corpus"]
