"""One declarative schema for a run: YAML + dotted overrides → a frozen :class:`RunConfig`.

Every key is documented once, in its field's ``description``; ``topics validate --explain`` and
the README's config reference are generated from it. The schema's defaults are the tuned ones
(NOTES.md, "Defaults chosen"): a config holding only ``corpus.paths`` is the default preset, and
the presets in ``configs/`` state only what differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from topics.config_errors import Origins, describe
from topics.errors import ConfigError


class Section(BaseModel):
    """Base for config sections: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _registered(value: str, registry_name: str, also: tuple[str, ...] = ()) -> str:
    """``value`` when it names an entry of ``topics.registry.<registry_name>`` (or ``also``)."""
    from topics import registry
    from topics.common import did_you_mean

    known = [*also, *getattr(registry, registry_name).names()]
    if value in known:
        return value
    raise PydanticCustomError(
        "unknown_choice",
        "must be one of {expected}",
        {"expected": known, "hint": did_you_mean(value, known)},
    )


def int_or(minimum: int, *words: str) -> Any:
    """The type "an int ≥ ``minimum`` or one of ``words``", declared once for every such key
    (scikit-learn's ``Interval(Integral, minimum, None) | StrOptions(words)``)."""
    options = [f"an int ≥ {minimum}", *(repr(word) for word in words)]
    expected = f"must be {', '.join(options[:-1])} or {options[-1]}"

    def check(value: int | str) -> int | str:
        if isinstance(value, int) and value < minimum:
            raise ValueError(expected)
        return value

    return Annotated[int | Literal[words], AfterValidator(check)]  # type: ignore[valid-type]


class RunSection(Section):
    name: str = Field(
        "default",
        min_length=1,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Run name; outputs go to <output.dir>/<run.name>/. Letters, digits, . _ -.",
    )
    seed: int = Field(
        42,
        ge=0,
        description="Random seed for UMAP, which decides the topics (HDBSCAN is deterministic "
        "given UMAP's output): same seed + same data = same topics.",
    )
    seeds: int = Field(
        1,
        ge=1,
        le=20,
        description="Stability check: refit UMAP+HDBSCAN under this many seeds and report the "
        "mean pairwise ARI between runs (metrics.stability_ari) and, per topic, the mean "
        "Jaccard overlap with the refit cluster it matches one to one (topics.csv: stability; "
        "1 = off).",
    )


class FieldsSection(Section):
    id: str = Field("id", description="Record field holding the document id (optional in data).")
    title: str = Field("title", description="Record field holding the title (optional in data).")
    text: str = Field("abstract", description="Record field holding the abstract text (required).")
    date: str = Field("date", description="Record field holding the date (optional in data).")
    label: str = Field(
        "label", description="Record field holding a reference label (optional; enables NMI/ARI)."
    )


class CorpusSection(Section):
    paths: list[str] = Field(
        default_factory=lambda: ["data/sample"],
        min_length=1,
        description="Files, directories or glob patterns to read, relative to the config file.",
    )
    format: str = Field(
        "auto",
        description="Input format; 'auto' decides by extension (.txt = seed format, .jsonl/.json"
        "l.gz, .csv, .parquet), a reader name reads every named file with that reader.",
        json_schema_extra={"registry": "readers", "also": ["auto"]},
    )
    fields: FieldsSection = Field(default_factory=FieldsSection, description="Field names.")
    min_chars: int = Field(
        20, ge=0, description="Drop documents whose cleaned text is shorter than this."
    )
    max_chars: int | None = Field(
        20_000,
        ge=100,
        description="Cut a cleaned text longer than this at the last space before it (a full "
        "paper pasted into the abstract field; abstracts run to 1,000-4,000 characters). Every "
        "stage and the run folder see the cut text; the run's warnings count them. null = "
        "never cut.",
    )
    dedup: Literal["exact", "translations"] = Field(
        "exact",
        description="'exact' drops repeated texts; 'translations' also drops the later copy of a "
        "zh/en translation pair (its id is recorded in duplicate_of).",
    )
    limit: int | None = Field(
        None, ge=1, description="Keep only the first N documents (after de-duplication)."
    )

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        return _registered(value, "readers", also=("auto",))


class EmbeddingSection(Section):
    backend: str = Field(
        "use",
        description="Embedding backend: use (multilingual USE, bundled), distilled (fast piece "
        "table fitted to USE; keeps translations together), static (each piece embedded "
        "alone by USE; splits languages), tfidf (TF-IDF + SVD, monolingual), sentence-transformers "
        "(extra 'transformers'), e5 (multilingual-e5-small, 4-bit, extra 'e5'; slow, aligns "
        "languages once centred), precomputed (.npy / Parquet), combined (concatenate "
        "'components').",
        json_schema_extra={"registry": "embedders"},
    )
    lexical: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Join a TF-IDF + SVD block (embedding.dimensions) to the backend's vectors: "
        "'auto' = when one language holds at least 90% of the documents (full bench corpora, "
        "fast preset: NMI CSL .483 → .493, OHSUMED .250 → .308, arXiv .364 → .412; on mixed "
        "corpora it splits topics by language). Fitted per corpus and stored in the run for "
        "topics assign; backends that cannot embed new text (tfidf, precomputed, combined with "
        "tfidf) take none.",
    )
    centre_languages: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Remove each language's mean vector (zh, en) from the backend's vectors "
        "before clustering: 'auto' = on a corpus with both languages (each 10%+) when the "
        "backend does not keep translations together (e5: ChinaXiv recall@1 .87/.93 → "
        ".99/.985). USE and distilled are aligned already: centred, they keep ChinaXiv pairs "
        "together as often (.955 → .952) and lose the sample's one-language topics, but merge "
        "subjects across languages when the two languages hold different subjects (CSL + "
        "arXiv: NMI .456 → .438), so 'auto' leaves them alone; 'on' suits a feed of "
        "translations (bench/results/centring.md). Means are stored for topics assign.",
    )
    model: str | None = Field(
        None, description="sentence-transformers model name or local path (that backend only)."
    )
    device: str = Field("cpu", description="Device for sentence-transformers (cpu, cuda, mps).")
    e5_prefix: Literal["passage", "query"] = Field(
        "query",
        description="e5: the prefix every text is embedded with ('query: ' or 'passage: '). "
        "1,000 documents per bench corpus, KMeans NMI query/passage: CSL .581/.562, OHSUMED "
        ".332/.331, arXiv .422/.435; ChinaXiv recall@1 .87/.93 vs .77/.89 (bench/results/e5.md).",
    )
    batch_size: int = Field(256, ge=1, description="Documents per embedding batch.")
    path: str | None = Field(
        None,
        description="precomputed: a .npy file (rows in corpus order) or a .parquet file; "
        "distilled: another piece table, 'distilled-v1' (the USE-fitted table shipped before "
        "issue 22) or an .npz written by bench/train_distilled.py; default the e5-fitted "
        "'distilled-v2' shipped in the package.",
    )
    column: str = Field(
        "embedding", description="precomputed Parquet: the list column holding the vectors."
    )
    id_column: str = Field("id", description="precomputed Parquet: the document id column.")
    dimensions: int = Field(
        100,
        ge=2,
        description="tfidf and the lexical block: TruncatedSVD output dimensions; a corpus "
        "gets at most (documents − 1) and (distinct terms − 1).",
    )
    components: list[str] = Field(
        default_factory=lambda: ["use", "tfidf"],
        description="combined: backends whose L2-normalised vectors are concatenated.",
    )
    weights: list[float] = Field(
        default_factory=lambda: [1.0, 1.0],
        description="combined: one weight per component, applied after normalisation.",
    )

    @field_validator("lexical", "centre_languages", mode="before")
    @classmethod
    def _yaml_switch(cls, value: Any) -> Any:
        # YAML 1.1 (PyYAML) reads a bare on/off as true/false: take them as meant.
        if isinstance(value, bool):
            return "on" if value else "off"
        return value

    @field_validator("weights")
    @classmethod
    def _positive_weights(cls, value: list[float]) -> list[float]:
        if any(w <= 0 for w in value):
            raise ValueError("must be a list of numbers > 0")
        return value


class UmapSection(Section):
    n_neighbors: int_or(2, "auto") = Field(
        "auto",
        description="UMAP neighbourhood size; 'auto' = sqrt(n) clamped to 5..15 (15 from 225 "
        "documents up; smaller corpora get a more local view and more topics).",
    )
    n_components: int = Field(5, ge=1, le=100, description="UMAP output dimensions.")
    min_dist: float = Field(0.0, ge=0.0, le=1.0, description="UMAP min_dist.")
    metric: str = Field(
        "cosine",
        description="UMAP input metric: any name umap-learn accepts (cosine, euclidean, "
        "manhattan, correlation, ...).",
    )
    n_epochs: int | None = Field(None, ge=1, description="UMAP epochs (None = umap's default).")
    low_memory: bool = Field(True, description="UMAP low_memory nearest-neighbour search.")


class HdbscanSection(Section):
    min_cluster_size: int_or(2, "auto") = Field(
        "auto",
        description="Smallest topic; 'auto' scales with corpus size (about sqrt(n)/3: 54 "
        "abstracts → 3, 2k → 15, 10k → 33; at least 3, at most 500).",
    )
    min_samples: int | None = Field(
        3,
        ge=1,
        description="HDBSCAN min_samples (None = same as min_cluster_size). Small values make "
        "HDBSCAN far less conservative: fewer outliers, and no collapse into 2-3 giant topics.",
    )
    cluster_selection_method: Literal["eom", "leaf"] = Field(
        "leaf",
        description="HDBSCAN cluster selection: leaf (finer; topic counts steady across corpus "
        "sizes) or eom (fewer, larger; picked the root split on the sample).",
    )
    cluster_selection_epsilon: float = Field(0.0, ge=0.0, description="HDBSCAN epsilon.")
    metric: str = Field(
        "euclidean",
        description="HDBSCAN metric on the UMAP output: any name hdbscan accepts with prediction "
        "data (euclidean, manhattan, chebyshev, ...; not cosine).",
    )


class ClusterSection(Section):
    fit_sample: int | None = Field(
        50_000,
        ge=100,
        description="Above this many documents, UMAP and HDBSCAN are fitted on a seeded random "
        "sample of this size and every other document takes the topic its nearest sampled "
        "documents vote for (cosine, in embedding space); hdbscan.min_cluster_size counts "
        "documents of the whole corpus and is scaled to the sample (at least 1/1000 of it, so "
        "a large corpus is not split into fragments); null = always fit on all.",
    )
    neighbors: int = Field(
        15, ge=1, le=200, description="Sampled documents that vote on each assigned document."
    )


class EngineSection(Section):
    kind: str = Field(
        "local",
        json_schema_extra={"registry": "engines"},
        description="Where embedding, tokenizing, term counting and assignment run: local (this "
        "process and the workers it forks, see engine.processes) or dask (partitions as tasks "
        "on a Dask cluster; needs the 'dask' extra). UMAP and HDBSCAN fit the core in this "
        "process either way.",
    )
    address: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9+.-]+://\S+$",
        description="Scheduler of an existing Dask cluster (e.g. tcp://10.0.0.5:8786); null = "
        "start a LocalCluster on this machine for the run.",
    )
    workers: int = Field(
        2, ge=1, le=512, description="Worker processes of the LocalCluster (ignored with address)."
    )
    processes: int_or(1, "auto") = Field(
        "auto",
        description="local: processes forked for the partitioned work when a stage has two "
        "partitions or more, and to clean texts while the loader reads (auto = the CPUs this "
        "process may use; 1 = all in this process); results are the same either way.",
    )
    partition_size: int = Field(
        5_000,
        ge=100,
        description="Documents per task (embedding, tokenizing, term counting, assignment).",
    )

    @field_validator("kind")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        return _registered(value, "engines")


class OutliersSection(Section):
    strategy: Literal["none", "embeddings", "c-tf-idf", "distributions", "probabilities"] = Field(
        "embeddings",
        description="BERTopic reduce_outliers strategy for -1 documents ('none' = keep them): "
        "'embeddings' = the topic whose mean vector is closest, 'probabilities' = HDBSCAN's "
        "soft clustering, 'c-tf-idf' / 'distributions' = topic words, on our tokenizer.",
    )
    threshold: float = Field(
        0.0, ge=0.0, le=1.0, description="Minimum similarity/probability to reassign an outlier."
    )


class NamingSection(Section):
    method: Literal["offline", "llm"] = Field(
        "offline",
        description="How topics get their names (name, name_en, name_zh in topics.csv and "
        "layers.csv): offline = the phrase of the topic's own words that best says what it is "
        "about, by the run's embedder; llm = asked of an OpenAI-compatible endpoint, offline "
        "names wherever it fails. Answers are cached, so a re-run asks nothing again.",
    )
    endpoint: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="llm: base URL of an OpenAI-compatible API, up to /v1 (llama.cpp server "
        "http://127.0.0.1:8080/v1, Ollama http://127.0.0.1:11434/v1, vLLM, a hosted API).",
    )
    model: str | None = Field(None, min_length=1, description="llm: the model name to ask for.")
    api_key_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="llm: environment variable holding the API key (sent as a bearer token, "
        "never written anywhere); null = no key.",
    )
    timeout_s: float = Field(60.0, gt=0, le=600, description="llm: seconds to wait per request.")
    max_concurrency: int = Field(4, ge=1, le=64, description="llm: requests in flight at once.")
    languages: Literal["auto", "en", "zh", "both"] = Field(
        "auto",
        description="llm: languages of the names asked for; auto = those of the labels "
        "(topics.label_language).",
    )


class TopicsSection(Section):
    top_n_words: int = Field(10, ge=1, le=100, description="Words kept per topic.")
    label_words: int = Field(
        3,
        ge=1,
        le=20,
        description="Units in a topic's label (one fewer per language in a 'both' label): each "
        "a distinctive word or the phrase it usually stands in ('graph neural network'); "
        "words that do not tell the topic apart are skipped.",
    )
    min_df: int_or(1, "auto") = Field(
        "auto",
        description="Document-frequency floor: a topic word must appear in this many documents; "
        "'auto' = n/200 clamped to 2..20 (sample 2, 2k → 10, 4k+ → 20): rarer words make "
        "diverse but incoherent labels (bench/results/min_df.md).",
    )
    max_df: float = Field(
        0.5, gt=0.0, le=1.0, description="Drop tokens present in more than this share of documents."
    )
    representation: str = Field(
        "ctfidf",
        description="Topic words: ctfidf (BERTopic's c-TF-IDF), keybert (KeyBERTInspired), "
        "mmr (MaximalMarginalRelevance re-ranking).",
        json_schema_extra={"registry": "representations"},
    )
    mmr_diversity: float = Field(0.3, ge=0.0, le=1.0, description="mmr: diversity.")
    outliers: OutliersSection = Field(default_factory=OutliersSection, description="Outliers.")
    nr_topics: int_or(1, "none", "auto") = Field(
        "none",
        description="Topic reduction: 'none', 'auto' or the number of topics to merge down to "
        "(outliers not counted).",
    )
    extra_stopwords: list[str] = Field(
        default_factory=list, description="More stopwords (either language) for topic words."
    )
    label_language: Literal["auto", "en", "zh", "both"] = Field(
        "auto",
        description="Language of topic labels: en, zh, both ('en label / zh label'), or auto = "
        "both when each language is at least 10% of the corpus, else the majority language.",
    )
    layers: int_or(2, "auto", "off") = Field(
        "auto",
        description="Coarser topic layers (nested groups of the fine topics, topic_l1.. in "
        "documents.parquet, layers.csv): 'auto' = an overview of 5-30 groups from the "
        "topic dendrogram (a gap twice every other, else the cut where groups are farther "
        "apart than a fifth of document pairs' topics: within 0.5-2x the subject count in 42 "
        "of 48 bench runs, bench/results/overview.md), 'off', or the overview's group count "
        "(at most one fewer than the fine topics; the run warns when it cannot be met).",
    )

    naming: NamingSection = Field(default_factory=NamingSection, description="Topic names.")

    @field_validator("representation")
    @classmethod
    def _known_representation(cls, value: str) -> str:
        return _registered(value, "representations")


class TrendsSection(Section):
    period: Literal["auto", "day", "week", "month", "quarter", "year"] = Field(
        "auto",
        description="Period of trends.csv (runs whose documents carry dates); 'auto' = the "
        "finest of day, week, month, quarter, year giving 8+ periods of 10+ documents that fill "
        "at least half of the span.",
    )
    recent: int_or(1, "auto") = Field(
        "auto",
        description="How many of the last periods are 'recent' for emerging/declining topics; "
        "'auto' = the last quarter of the span's periods.",
    )
    bad_dates: Literal["error", "skip"] = Field(
        "error",
        description="A date that does not parse: 'error' (one line naming the file:line and "
        "value) or 'skip' (the document is left out of trends; counted in the manifest).",
    )


class OutputSection(Section):
    dir: str = Field("reports", description="Parent folder of run folders (relative to CWD).")
    save_model: bool = Field(True, description="Save the BERTopic model (safetensors) in model/.")
    report: bool = Field(True, description="Write the index.html dashboard.")


class CacheSection(Section):
    dir: str = Field(
        ".topics-cache",
        description="Embedding/UMAP cache folder (relative to CWD); also where a run spills its "
        "texts and vectors (unlinked files, ~2 GB at 1M abstracts; the output folder when the "
        "cache is off).",
    )
    enabled: bool = Field(True, description="Read and write the cache.")


class RunConfig(Section):
    """The whole configuration of one run."""

    run: RunSection = Field(default_factory=RunSection, description="Run identity.")
    corpus: CorpusSection = Field(default_factory=CorpusSection, description="Input documents.")
    embedding: EmbeddingSection = Field(default_factory=EmbeddingSection, description="Vectors.")
    umap: UmapSection = Field(default_factory=UmapSection, description="UMAP reduction.")
    hdbscan: HdbscanSection = Field(default_factory=HdbscanSection, description="Clustering.")
    cluster: ClusterSection = Field(
        default_factory=ClusterSection, description="Fit on a sample, assign the rest."
    )
    topics: TopicsSection = Field(default_factory=TopicsSection, description="Representation.")
    trends: TrendsSection = Field(default_factory=TrendsSection, description="Trends over time.")
    output: OutputSection = Field(default_factory=OutputSection, description="Run folder.")
    cache: CacheSection = Field(default_factory=CacheSection, description="On-disk cache.")
    engine: EngineSection = Field(
        default_factory=EngineSection, description="Where the partitioned work runs."
    )


def validate_config(
    data: Any, source: Path | None = None, origins: Origins | None = None
) -> RunConfig:
    """Validate plain data into a :class:`RunConfig`, raising one readable :class:`ConfigError`.

    Parameters
    ----------
    data:
        The parsed YAML mapping (overrides applied).
    source:
        The YAML file, so errors name its line.
    origins:
        Keys set by overrides (see :func:`override_origins`): errors about them name the
        override instead of the file.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source or 'config'}: expected a mapping of sections, got {data!r}.")
    # A section whose keys are all commented out (``umap:`` alone) reads as null: its defaults.
    data = {
        key: {} if value is None and key in RunConfig.model_fields else value
        for key, value in data.items()
    }
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as error:
        details = error.errors(include_url=False)
        raise ConfigError(describe(RunConfig, details, source, origins)) from None
    # Metric names the libraries accept are checked by topics.preflight (the schema imports
    # no library and nothing of the pipeline).
    return config


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """Plain JSON-able dict of a config (for the manifest and ``best.yaml``)."""
    return config.model_dump(mode="json")
