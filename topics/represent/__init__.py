"""Topic representation: BERTopic's c-TF-IDF over our tokenization, plus per-language words."""

from topics.represent.bertopic_stage import represent, tokenize_corpus

__all__ = ["represent", "tokenize_corpus"]
