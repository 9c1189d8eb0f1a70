"""Reading the corpus: input formats, cleaning, de-duplication and language tags.

``from topics.corpus import load_corpus`` is the entry point; importing this package does not
import pandas or pyarrow (the Parquet reader imports pyarrow when it runs).
"""

from topics.corpus.clean import normalise_text
from topics.corpus.language import detect_language
from topics.corpus.load import expand_paths, load_corpus, unique_ids
from topics.corpus.readers import RawRecord, format_for_path

__all__ = [
    "RawRecord",
    "detect_language",
    "expand_paths",
    "format_for_path",
    "load_corpus",
    "normalise_text",
    "unique_ids",
]
