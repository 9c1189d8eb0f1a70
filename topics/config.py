"""One declarative schema for a run: YAML + dotted overrides → a frozen :class:`RunConfig`.

Every key is documented once, in its field's ``description``; ``topics validate --explain`` and
the README's config reference are generated from it. The schema's defaults are the tuned ones
(NOTES.md, "Defaults chosen"): a config holding only ``corpus.paths`` is the default preset, and
the presets in ``configs/`` state only what differs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
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
        "mean pairwise ARI between runs (1 = off).",
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
        "(extra 'transformers'), precomputed (.npy / Parquet), combined (concatenate "
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
    model: str | None = Field(
        None, description="sentence-transformers model name or local path (that backend only)."
    )
    device: str = Field("cpu", description="Device for sentence-transformers (cpu, cuda, mps).")
    batch_size: int = Field(256, ge=1, description="Documents per embedding batch.")
    path: str | None = Field(
        None, description="precomputed: a .npy file (rows in corpus order) or a .parquet file."
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

    @field_validator("lexical", mode="before")
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
        "documents of the whole corpus and is scaled to the sample; null = always fit on all.",
    )
    neighbors: int = Field(
        15, ge=1, le=200, description="Sampled documents that vote on each assigned document."
    )


class EngineSection(Section):
    kind: str = Field(
        "local",
        json_schema_extra={"registry": "engines"},
        description="Where embedding, tokenizing, term counting and assignment run: local (this "
        "process) or dask (partitions as tasks on a Dask cluster; needs the 'dask' extra). UMAP "
        "and HDBSCAN fit the core in this process either way.",
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
        "documents.parquet, layers.csv): 'auto' = an overview of 5-30 groups where the "
        "topic dendrogram has its largest gap, 'off', or the overview's group count (at most "
        "one fewer than the fine topics; the run warns when it cannot be met).",
    )

    @field_validator("representation")
    @classmethod
    def _known_representation(cls, value: str) -> str:
        return _registered(value, "representations")


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
    output: OutputSection = Field(default_factory=OutputSection, description="Run folder.")
    cache: CacheSection = Field(default_factory=CacheSection, description="On-disk cache.")
    engine: EngineSection = Field(
        default_factory=EngineSection, description="Where the partitioned work runs."
    )


# --------------------------------------------------------------------------------------------
# Loading, overrides and error formatting


def _field_at(path: list[str]) -> Any:
    """The schema field at a dotted key path, or ``None`` when there is none."""
    model: Any = RunConfig
    field = None
    for part in path:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        field = fields[part]
        model = field.annotation
    return field


def _text_field(path: list[str]) -> tuple[bool, bool]:
    """``(is a plain string field, also accepts null)`` for the key at ``path``."""
    field = _field_at(path)
    annotation = getattr(field, "annotation", None)
    if annotation is str:
        return True, False
    if set(get_args(annotation)) == {str, type(None)}:
        return True, True
    return False, False


def parse_override(text: str, label: str = "--set") -> tuple[list[str], Any]:
    """Split ``"a.b=value"`` into a key path and a value.

    A string key keeps the text as given (``run.name=2024`` is the name "2024", not a number;
    a quoted JSON string is unquoted and ``null`` clears an optional one); any other key's
    value is parsed as JSON, else as YAML (``umap.n_neighbors=30``, ``corpus.paths=[a.jsonl]``).
    """
    if "=" not in text:
        raise ConfigError(f"{label} expects KEY=VALUE (e.g. umap.n_neighbors=30). Got '{text}'.")
    key, raw = text.split("=", 1)
    path = [part for part in key.strip().split(".")]
    if not key.strip() or any(not part for part in path):
        raise ConfigError(f"{label} expects a dotted key like umap.n_neighbors. Got '{key}'.")
    is_text, nullable = _text_field(path)
    if is_text:
        if nullable and raw == "null":
            return path, None
        if raw.startswith('"'):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                return path, raw
            return path, value if isinstance(value, str) else raw
        return path, raw
    try:
        return path, json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:  # YAML flow syntax as in the config file: [a.jsonl, 'b c.csv'], {k: v}
        return path, yaml.safe_load(raw)
    except yaml.YAMLError:
        return path, raw


def apply_overrides(
    data: dict[str, Any], overrides: list[str], label: str = "--set"
) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``KEY=VALUE`` override applied.

    ``label`` names where the overrides came from in error messages (``--set`` on the command
    line, ``sweep.yaml: grid`` in a sweep).
    """
    data = json.loads(json.dumps(data))  # deep copy of plain YAML data
    for text in overrides:
        path, value = parse_override(text, label)
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"{label} {text}: '{part}' is not a section.")
            node = child
        node[path[-1]] = value
    return data


def override_origins(overrides: list[str], label: str = "--set") -> dict[tuple[str, ...], str]:
    """Key path → ``"<label> KEY=VALUE"`` for each override, so errors can name it."""
    origins: dict[tuple[str, ...], str] = {}
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        origins.pop(tuple(key.split(".")), None)  # the last override of a key is the one used
        origins[tuple(key.split("."))] = f"{label} {text}"
    return origins


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


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key written twice in one mapping.

    PyYAML keeps the last of two equal keys without a word, so a second ``umap:`` section
    would silently replace the first; a config is read by people who expect both to count.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_line: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in first_line:
                raise ConfigError(
                    f"{self.name}:{line}: the key '{key_node.value}' appears twice in one "
                    f"section (first on line {first_line[key_node.value]}); keep one."
                )
            first_line[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(source: Path) -> Any:
    """The data of a YAML file (``{}`` when empty), or one :class:`ConfigError` naming the line.

    Safe loading (no Python objects), UTF-8 only, and a key written twice in one mapping is an
    error rather than PyYAML's silent "last one wins".
    """
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text.") from None
    loader = _UniqueKeyLoader(text)
    loader.name = str(source)
    try:
        return loader.get_single_data() or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{source}{line}: not valid YAML ({problem}).") from None
    finally:
        loader.dispose()


def load_config(
    path: str | Path | None, overrides: list[str] | None = None, label: str = "--set"
) -> RunConfig:
    """Read a YAML config (:func:`read_yaml`), apply ``KEY=VALUE`` overrides and validate.

    Relative ``corpus.paths`` and ``embedding.path`` are resolved against the config file's
    folder so a config works from any working directory. ``label`` names the overrides in
    error messages (``--set`` on the command line).
    """
    source = Path(path) if path is not None else None
    data: Any = {}
    if source is not None:
        if source.is_dir():
            raise ConfigError(f"Config file '{source}' is a folder; give the YAML file in it.")
        if not source.is_file():
            raise ConfigError(f"Config file '{source}' does not exist.")
        data = read_yaml(source)
        if not isinstance(data, dict):
            raise ConfigError(
                f"{source}: expected a mapping of sections, got {type(data).__name__}."
            )
    overrides = list(overrides or [])
    data = apply_overrides(data, overrides, label)
    config = validate_config(data, source, override_origins(overrides, label))
    if source is not None:
        config = resolve_paths(config, source.parent)
    return config


def resolve_paths(config: RunConfig, base: Path) -> RunConfig:
    """Make corpus/embedding input paths relative to ``base`` (the config's folder) absolute."""

    def resolve(value: str) -> str:
        candidate = Path(value).expanduser()
        if candidate.is_absolute():
            return str(candidate)
        # Prefer the config-relative path; fall back to CWD-relative for configs kept elsewhere.
        relative = base / candidate
        if not relative.exists() and candidate.exists():
            return str(candidate)
        return str(relative)

    corpus = config.corpus.model_copy(update={"paths": [resolve(p) for p in config.corpus.paths]})
    embedding = config.embedding
    if embedding.path:
        embedding = embedding.model_copy(update={"path": resolve(embedding.path)})
    return config.model_copy(update={"corpus": corpus, "embedding": embedding})


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """Plain JSON-able dict of a config (for the manifest and ``best.yaml``)."""
    return config.model_dump(mode="json")


def explain(model: type[BaseModel] = RunConfig, prefix: str = "") -> list[tuple[str, str, str]]:
    """Return ``(dotted key, default, description)`` for every config key, in schema order."""
    rows: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(explain(annotation, f"{key}."))
            continue
        default = field.get_default(call_default_factory=True)
        description = field.description or ""
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if "registry" in extra:
            from topics import registry

            choices = [*extra.get("also", []), *getattr(registry, extra["registry"]).names()]
            description += f" Choices: {', '.join(choices)}."
        rows.append((key, json.dumps(default, ensure_ascii=False), description))
    return rows
