"""Run-folder writing: tables, manifest, model, all committed atomically."""

from topics.outputs.atomic import atomic_run_folder, recover_run_folder
from topics.outputs.files import (
    safe_csv_cell,
    write_documents,
    write_layers_csv,
    write_manifest,
    write_model,
    write_topic_vectors,
    write_topic_words,
    write_topics_csv,
)

__all__ = [
    "atomic_run_folder",
    "recover_run_folder",
    "safe_csv_cell",
    "write_documents",
    "write_manifest",
    "write_model",
    "write_topic_vectors",
    "write_topic_words",
    "write_layers_csv",
    "write_topics_csv",
]
