"""BERTopic's logger is quiet during our calls and left as the user set it afterwards."""

from __future__ import annotations

import logging

import bertopic  # noqa: F401 (its import sets the logger level once; done before the test starts)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_bertopic_logger_level_is_restored(sample_stages) -> None:
    bertopic_logger = logging.getLogger("BERTopic")
    previous = bertopic_logger.level
    collect = _Collect()
    bertopic_logger.addHandler(collect)
    bertopic_logger.setLevel(logging.INFO)
    try:
        # Outlier reduction makes BERTopic warn about custom assignments (an expected step).
        topics = sample_stages.represent("topics.outliers.strategy=embeddings")
        assert topics.model is not None
        assert bertopic_logger.level == logging.INFO
        assert not [r for r in collect.records if r.levelno < logging.ERROR]
        bertopic_logger.info("a user's own message")
        assert [r.getMessage() for r in collect.records] == ["a user's own message"]
    finally:
        bertopic_logger.removeHandler(collect)
        bertopic_logger.setLevel(previous)
