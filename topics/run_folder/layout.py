"""The names in a run folder: one list every reader and writer of a run folder goes by."""

from __future__ import annotations

MANIFEST = "manifest.json"
DOCUMENTS = "documents.parquet"
TOPICS = "topics.csv"
LAYERS = "layers.csv"
TRENDS = "trends.csv"
CANDIDATES = "candidates.csv"
NOVEL = "novel"
DIGEST = "digest.md"
TOPIC_WORDS = "topic_words.json"
TOPIC_VECTORS = "topic_vectors.npy"
MAP = "map2d.npy"
MODEL = "model"
ASSIGN = "assign"
PAGE = "index.html"

#: Files every finished run has (the dashboard is rebuilt from them alone).
REQUIRED_FILES = (MANIFEST, TOPICS, TOPIC_WORDS, DOCUMENTS, MAP, TOPIC_VECTORS)
#: Files an append (``topics assign``) rewrites; every other entry is linked unchanged.
REWRITTEN_BY_APPEND = frozenset(
    {DOCUMENTS, TOPICS, LAYERS, TRENDS, CANDIDATES, NOVEL, MAP, MANIFEST, DIGEST, PAGE}
)
#: ``documents.parquet`` columns read only for the rows that need them (1M abstracts ~1 GB).
TEXT_COLUMNS = ("title", "text")
#: Columns written as strings whatever their values; the others (titles included: an
#: all-missing title column stays untyped, as pandas writes it) are typed from their values.
STRING_COLUMNS = ("id", "text", "lang", "assigned_by")
#: Rows written per Parquet row group: the text of a million abstracts is never copied whole,
#: and a reader decoding one row group's texts holds ~20 MB of them (100k rows: ~400 MB).
DOCUMENT_CHUNK = 20_000
