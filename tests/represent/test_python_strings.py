"""BERTopic's data frames hold Python strings during our calls, with the same topics."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from topics.represent import bertopic_stage


def test_python_strings_keeps_strings_as_objects_and_restores_the_option() -> None:
    before = pd.DataFrame({"text": ["a", "b"]})["text"].dtype
    with bertopic_stage.python_strings():
        assert pd.DataFrame({"text": ["a", "b"]})["text"].dtype == object
    assert pd.DataFrame({"text": ["a", "b"]})["text"].dtype == before


def test_topics_do_not_depend_on_how_pandas_stores_strings(sample_stages, monkeypatch) -> None:
    with_objects = sample_stages.represent("topics.outliers.strategy=c-tf-idf")
    monkeypatch.setattr(bertopic_stage, "python_strings", contextlib.nullcontext)
    with_defaults = sample_stages.represent("topics.outliers.strategy=c-tf-idf")
    np.testing.assert_array_equal(with_objects.assignments, with_defaults.assignments)
    assert with_objects.words == with_defaults.words
