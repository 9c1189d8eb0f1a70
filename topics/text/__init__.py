"""Text handling for topic words: a mixed Chinese/English tokenizer and stopword lists."""

from topics.text.stopwords import stopwords
from topics.text.tokenizer import MixedTokenizer, is_junk_token

__all__ = ["MixedTokenizer", "is_junk_token", "stopwords"]
