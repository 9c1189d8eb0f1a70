"""Topic names (issue 21): a short name per topic and layer node, in each label language.

``topics.csv`` and ``layers.csv`` keep the label (two or three distinctive units, now also
called the keywords) and gain ``name, name_en, name_zh``. Names are made offline by
:mod:`topics.naming.offline`; with ``topics.naming.method: llm`` they are asked of an
OpenAI-compatible endpoint (:mod:`topics.naming.llm`), and every topic the endpoint does not
name keeps its offline name.
"""

from __future__ import annotations

from topics.naming.stage import NAME_COLUMNS, Names, name_topics

__all__ = ["NAME_COLUMNS", "Names", "name_topics"]
