"""One declarative schema for a run: YAML + dotted overrides → a frozen :class:`RunConfig`.

Every key is documented once, in its field's ``description``; ``topics validate --explain`` and
the README's config reference are generated from it.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from topics.errors import ConfigError


class Section(BaseModel):
    """Base for config sections: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSection(Section):
    name: str = Field(
        "default",
        min_length=1,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Run name; outputs go to <output.dir>/<run.name>/. Letters, digits, . _ -.",
    )
    seed: int = Field(42, ge=0, description="Random seed passed to UMAP, HDBSCAN and sampling.")
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
    format: Literal["auto", "seed", "jsonl", "csv", "parquet"] = Field(
        "auto",
        description="Input format; 'auto' decides by extension (.txt = seed format, .jsonl/.json"
        "l.gz, .csv, .parquet).",
    )
    fields: FieldsSection = Field(default_factory=FieldsSection, description="Field names.")
    min_chars: int = Field(
        20, ge=0, description="Drop documents whose cleaned text is shorter than this."
    )
    dedup: Literal["exact", "translations"] = Field(
        "exact",
        description="'exact' drops repeated texts; 'translations' also drops the later copy of a "
        "zh/en translation pair (its id is recorded in duplicate_of).",
    )
    limit: int | None = Field(
        None, ge=1, description="Keep only the first N documents (after de-duplication)."
    )


class EmbeddingSection(Section):
    backend: str = Field(
        "use",
        description="Embedding backend: use (multilingual USE, bundled), static (fast token "
        "table distilled from USE), tfidf (TF-IDF + SVD, monolingual), sentence-transformers "
        "(extra 'transformers'), precomputed (.npy / Parquet), combined (concatenate "
        "'components').",
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
        100, ge=2, description="tfidf: TruncatedSVD output dimensions (capped by corpus size)."
    )
    components: list[str] = Field(
        default_factory=lambda: ["use", "tfidf"],
        description="combined: backends whose L2-normalised vectors are concatenated.",
    )
    weights: list[float] = Field(
        default_factory=lambda: [1.0, 1.0],
        description="combined: one weight per component, applied after normalisation.",
    )

    @field_validator("weights")
    @classmethod
    def _positive_weights(cls, value: list[float]) -> list[float]:
        if any(w <= 0 for w in value):
            raise ValueError("must be a list of numbers > 0")
        return value


class UmapSection(Section):
    n_neighbors: int | Literal["auto"] = Field(
        "auto",
        description="UMAP neighbourhood size; 'auto' = sqrt(n) clamped to 5..15 (15 from 225 "
        "documents up; smaller corpora get a more local view and more topics).",
    )
    n_components: int = Field(5, ge=1, le=100, description="UMAP output dimensions.")
    min_dist: float = Field(0.0, ge=0.0, le=1.0, description="UMAP min_dist.")
    metric: str = Field("cosine", description="UMAP input metric.")
    n_epochs: int | None = Field(None, ge=1, description="UMAP epochs (None = umap's default).")
    low_memory: bool = Field(True, description="UMAP low_memory nearest-neighbour search.")

    @field_validator("n_neighbors")
    @classmethod
    def _neighbors(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 2:
            raise ValueError("must be an int ≥ 2 or 'auto'")
        return value


class HdbscanSection(Section):
    min_cluster_size: int | Literal["auto"] = Field(
        "auto",
        description="Smallest topic; 'auto' scales with corpus size (about sqrt(n)/3: 54 "
        "abstracts → 3, 2k → 15, 10k → 33; at least 3, at most 500).",
    )
    min_samples: int | None = Field(
        None, ge=1, description="HDBSCAN min_samples (None = same as min_cluster_size)."
    )
    cluster_selection_method: Literal["eom", "leaf"] = Field(
        "eom", description="HDBSCAN cluster selection: eom (fewer, larger) or leaf (finer)."
    )
    cluster_selection_epsilon: float = Field(0.0, ge=0.0, description="HDBSCAN epsilon.")
    metric: str = Field("euclidean", description="HDBSCAN metric on the UMAP output.")

    @field_validator("min_cluster_size")
    @classmethod
    def _min_size(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 2:
            raise ValueError("must be an int ≥ 2 or 'auto'")
        return value


class OutliersSection(Section):
    strategy: Literal["none", "embeddings", "c-tf-idf", "distributions", "probabilities"] = Field(
        "none", description="BERTopic reduce_outliers strategy for -1 documents ('none' = keep)."
    )
    threshold: float = Field(
        0.0, ge=0.0, le=1.0, description="Minimum similarity/probability to reassign an outlier."
    )


class TopicsSection(Section):
    top_n_words: int = Field(10, ge=1, le=100, description="Words kept per topic.")
    label_words: int = Field(4, ge=1, le=20, description="Words joined into a topic's label.")
    min_df: int | Literal["auto"] = Field(
        "auto",
        description="Document-frequency floor: a topic word must appear in this many documents; "
        "'auto' = n/200 clamped to 2..20 (sample 2, 2k → 10, 4k+ → 20): rarer words make "
        "diverse but incoherent labels (bench/results/min_df.md).",
    )
    max_df: float = Field(
        0.5, gt=0.0, le=1.0, description="Drop tokens present in more than this share of documents."
    )
    representation: Literal["ctfidf", "keybert", "mmr"] = Field(
        "ctfidf",
        description="Topic words: ctfidf (BERTopic's c-TF-IDF), keybert (KeyBERTInspired), "
        "mmr (MaximalMarginalRelevance re-ranking).",
    )
    mmr_diversity: float = Field(0.3, ge=0.0, le=1.0, description="mmr: diversity.")
    outliers: OutliersSection = Field(default_factory=OutliersSection, description="Outliers.")
    nr_topics: int | Literal["none", "auto"] = Field(
        "none",
        description="Topic reduction: 'none', 'auto' or the number of topics to merge down to "
        "(outliers not counted).",
    )
    extra_stopwords: list[str] = Field(
        default_factory=list, description="More stopwords (either language) for topic words."
    )

    @field_validator("nr_topics")
    @classmethod
    def _positive_topics(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be an int ≥ 1, 'none' or 'auto'")
        return value

    @field_validator("min_df")
    @classmethod
    def _min_df(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be an int ≥ 1 or 'auto'")
        return value


class OutputSection(Section):
    dir: str = Field("reports", description="Parent folder of run folders (relative to CWD).")
    save_model: bool = Field(True, description="Save the BERTopic model (safetensors) in model/.")
    report: bool = Field(True, description="Write the index.html dashboard.")


class CacheSection(Section):
    dir: str = Field(".topics-cache", description="Embedding/UMAP cache folder (relative to CWD).")
    enabled: bool = Field(True, description="Read and write the cache.")


class RunConfig(Section):
    """The whole configuration of one run."""

    run: RunSection = Field(default_factory=RunSection, description="Run identity.")
    corpus: CorpusSection = Field(default_factory=CorpusSection, description="Input documents.")
    embedding: EmbeddingSection = Field(default_factory=EmbeddingSection, description="Vectors.")
    umap: UmapSection = Field(default_factory=UmapSection, description="UMAP reduction.")
    hdbscan: HdbscanSection = Field(default_factory=HdbscanSection, description="Clustering.")
    topics: TopicsSection = Field(default_factory=TopicsSection, description="Representation.")
    output: OutputSection = Field(default_factory=OutputSection, description="Run folder.")
    cache: CacheSection = Field(default_factory=CacheSection, description="On-disk cache.")


# --------------------------------------------------------------------------------------------
# Loading, overrides and error formatting


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``"a.b=value"`` into a key path and a value parsed as JSON when it parses."""
    if "=" not in text:
        raise ConfigError(f"--set expects KEY=VALUE (e.g. umap.n_neighbors=30). Got '{text}'.")
    key, raw = text.split("=", 1)
    path = [part for part in key.strip().split(".")]
    if not key.strip() or any(not part for part in path):
        raise ConfigError(f"--set expects a dotted key like umap.n_neighbors. Got '{key}'.")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return path, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``--set KEY=VALUE`` applied."""
    data = json.loads(json.dumps(data))  # deep copy of plain YAML data
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"--set {text}: '{part}' is not a section.")
            node = child
        node[path[-1]] = value
    return data


def _line_of(path: Path | None, keys: tuple[Any, ...]) -> str:
    """Best-effort ``file:line`` of a dotted key in a YAML file (for error messages)."""
    if path is None or not path.exists():
        return ""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return f"{path}: "
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(key)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return f"{path}:{line}: " if line else f"{path}: "


def _allowed_keys(model: type[BaseModel], keys: tuple[Any, ...]) -> list[str]:
    """The valid keys of the section at ``keys`` (used to suggest a fix for a typo)."""
    for key in keys:
        field = model.model_fields.get(str(key))
        annotation = getattr(field, "annotation", None) if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return []
    return list(model.model_fields)


def _describe_error(error: dict[str, Any], source: Path | None) -> str:
    loc = _plain_loc(error)
    dotted = ".".join(str(part) for part in loc)
    where = _line_of(source, loc)
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(RunConfig, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" Did you mean '{'.'.join([*map(str, loc[:-1]), close[0]])}'?" if close else ""
        return f"{where}Unknown key '{dotted}'.{hint} Valid keys here: {', '.join(allowed)}."
    expected = _expected(kind, error.get("ctx") or {}, error["msg"], _kind_of(loc))
    return f"{where}The '{dotted}' parameter must be {expected}. Got {given!r} instead."


_BOUNDS = {
    "greater_than_equal": ("ge", "≥"),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "≤"),
    "less_than": ("lt", "<"),
}
_TYPES = {
    "int": "an int",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "list": "a list",
    "dict": "a mapping",
}


def _kind_of(loc: tuple[Any, ...]) -> str:
    """A readable name for the type of the field at ``loc`` (e.g. "an int")."""
    model: Any = RunConfig
    annotation: Any = None
    for key in loc:
        field = getattr(model, "model_fields", {}).get(str(key))
        if field is None:
            break
        annotation = field.annotation
        model = annotation
    text = str(annotation) if annotation is not None else ""
    for name, readable in _TYPES.items():
        if (
            text == f"<class '{name}'>"
            or text.startswith(f"{name} |")
            or text.startswith(name + "[")
        ):
            return readable
    return "a value"


def _expected(kind: str, ctx: dict[str, Any], message: str, type_name: str) -> str:
    """scikit-learn-style description of what a parameter accepts."""
    if kind in _BOUNDS:
        name, sign = _BOUNDS[kind]
        return f"{type_name} {sign} {ctx.get(name)}"
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    if kind.endswith(("_parsing", "_type")):
        return _TYPES.get(kind.split("_")[0], type_name)
    if kind == "too_short":
        return f"a list of at least {ctx.get('min_length')} item(s)"
    if kind == "string_pattern_mismatch":
        return f"a string matching {ctx.get('pattern')}"
    if message.startswith("Value error, "):
        return message[len("Value error, ") :].removeprefix("must be ")
    return message[0].lower() + message[1:]


def validate_config(data: Any, source: Path | None = None) -> RunConfig:
    """Validate plain data into a :class:`RunConfig`, raising one readable :class:`ConfigError`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source or 'config'}: expected a mapping of sections, got {data!r}.")
    try:
        return RunConfig.model_validate(data)
    except ValidationError as error:
        details = error.errors(include_url=False)
        first = details[0]
        # Pydantic reports one error per union branch (`int | "auto"`): merge them into one.
        branches = [d for d in details if _plain_loc(d) == _plain_loc(first)]
        if len(branches) > 1:
            expected = " or ".join(
                _expected(d["type"], d.get("ctx") or {}, d["msg"], _kind_of(_plain_loc(d)))
                for d in branches
            )
            where = _line_of(source, _plain_loc(first))
            dotted = ".".join(map(str, _plain_loc(first)))
            message = f"{where}The '{dotted}' parameter must be {expected}. "
            raise ConfigError(message + f"Got {first.get('input')!r} instead.") from None
        raise ConfigError(_describe_error(first, source)) from None


def _plain_loc(error: dict[str, Any]) -> tuple[Any, ...]:
    """An error's location without pydantic's union-branch tags (``int``, ``literal[...]``)."""
    return tuple(p for p in error["loc"] if not str(p).startswith(("int", "literal", "float")))


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML config (``yaml.safe_load``), apply ``--set`` overrides and validate.

    Relative ``corpus.paths`` and ``embedding.path`` are resolved against the config file's
    folder so a config works from any working directory.
    """
    source = Path(path) if path is not None else None
    data: Any = {}
    if source is not None:
        if not source.is_file():
            raise ConfigError(f"Config file '{source}' does not exist.")
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise ConfigError(f"{source}{line}: not valid YAML ({problem}).") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: not UTF-8 text.") from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"{source}: expected a mapping of sections, got {type(data).__name__}."
            )
    data = apply_overrides(data, overrides or [])
    config = validate_config(data, source)
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
        rows.append((key, json.dumps(default, ensure_ascii=False), field.description or ""))
    return rows
