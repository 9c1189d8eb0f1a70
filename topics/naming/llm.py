"""Topic names asked of an OpenAI-compatible chat endpoint (``topics.naming.method: llm``).

Any server with ``POST {endpoint}/chat/completions`` works: llama.cpp's server, Ollama, vLLM, a
hosted API. Peers' pitfalls, and what is done about each here:

- **Cost on every re-run** (BERTopic's OpenAI representation and toponymy keep no cache;
  toponymy's PR #72 followed a crash ten hours into naming): every valid answer is kept on disk,
  keyed by a hash of the model and the whole request, so a re-run or a re-tune sends nothing
  for the topics whose words did not change, and gets the same names.
- **Names that drift** (BERTopic #1629): ``temperature`` 0, and the cache.
- **Context overflow** (an LM Studio 4k context, BERTopic #2339): a prompt holds keywords,
  phrases and at most five titles of at most 200 characters — well under 1,000 tokens.
- **Layers** (toponymy): the finest layer is named first, then each coarser group from its own
  keywords and its children's names.
- **Collisions**: two nodes of a layer given the same name are asked again together, once, to
  tell them apart.
- **A failing endpoint never fails the run**: down, slow, rate-limited (one retry after
  ``Retry-After``, at most 10 s) or answering garbage, the node keeps its offline name and the
  run prints one summary line (also in the manifest's ``naming``). After three connection
  failures or timeouts in a row nothing more is sent.

The API key is read from the environment variable ``topics.naming.api_key_env`` at request time
and sent as a bearer token; it is never written to the manifest, the cache, logs or the page.
Names are untrusted text like any abstract: cleaned of control characters here, escaped where
they are shown.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from topics.atomic import atomic_write_text
from topics.represent.labels import combine
from topics.text.han import HAN

#: Bump when the prompts change: cached answers to other prompts are not reused.
PROMPT_VERSION = 1
#: Longest name accepted from the model, in words (Chinese: characters).
MAX_WORDS = {"en": 8, "zh": 16}
#: Characters kept of each representative title in a prompt.
TITLE_CHARS = 200
#: Representative titles in a prompt.
TITLES = 5
#: Consecutive connection failures or timeouts after which nothing more is sent.
BREAKER = 3
#: Longest wait honoured from a 429's ``Retry-After``.
MAX_RETRY_AFTER_S = 10.0

SYSTEM = (
    "You name clusters of research abstracts for a dashboard. Answer with one JSON object "
    "and nothing else. A name is 1 to 5 words (Chinese: 2 to 10 characters), says what the "
    "documents are about as a specialist would, and avoids vague words such as 'research', "
    "'study', 'analysis', 'method', 'applications'."
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LATIN = re.compile(r"[A-Za-z]")


class Unavailable(Exception):
    """The endpoint could not be reached or did not answer in time."""


@dataclass(frozen=True)
class Answer:
    """One node's names from the model (a missing language is ``""``)."""

    en: str = ""
    zh: str = ""


def name_with_llm(
    nodes: Sequence[Any],
    table: pd.DataFrame,
    section: Any,
    label_language: str,
    cache_root: Path | None,
) -> tuple[pd.DataFrame, dict[str, Any], str | None]:
    """Replace offline names in ``table`` by the model's, layer by layer (fine first).

    Parameters
    ----------
    nodes:
        :class:`topics.naming.stage.Node` of every layer.
    table:
        Offline names: ``layer, id, name, name_en, name_zh, name_source``.
    section:
        ``topics.naming``.
    label_language:
        The run's resolved label language (``en``, ``zh`` or ``both``).
    cache_root:
        The run's cache folder (``None``: answers are kept for this run only).

    Returns
    -------
    table, record, summary
        The names, the manifest's ``naming`` entry and one line when some node kept its offline
        name (``None`` when the model named every node).
    """
    languages = _languages(section.languages, label_language)
    client = Client(section, None if cache_root is None else Path(cache_root) / "llm-names")
    table = table.copy()
    index = {(int(r.layer), int(r.id)): i for i, r in enumerate(table.itertuples())}
    by_layer: dict[int, list[Any]] = {}
    for node in nodes:
        by_layer.setdefault(node.layer, []).append(node)
    named: dict[tuple[int, int], Answer] = {}
    for layer in sorted(by_layer):
        layer_nodes = by_layer[layer]

        def ask(node: Any, _layer: int = layer) -> tuple[Any, Answer | None]:
            below = [_names_of(table, index, _layer - 1, child) for child in node.children]
            return node, client.ask(node_prompt(node, below, languages), languages)

        with ThreadPoolExecutor(max_workers=section.max_concurrency) as pool:
            answers = list(pool.map(ask, layer_nodes))
        found = {node.id: answer for node, answer in answers if answer is not None}
        found.update(_separate(client, layer_nodes, found, languages))
        found = {node_id: answer for node_id, answer in found.items() if answer.en or answer.zh}
        for node_id, answer in found.items():
            row = index[(layer, node_id)]
            name_en = answer.en if "en" in languages and answer.en else table.at[row, "name_en"]
            name_zh = answer.zh if "zh" in languages and answer.zh else table.at[row, "name_zh"]
            table.at[row, "name_en"], table.at[row, "name_zh"] = name_en, name_zh
            table.at[row, "name"] = (
                combine(name_en, name_zh, label_language) or table.at[row, "name"]
            )
            table.at[row, "name_source"] = "llm"
            named[(layer, node_id)] = answer
    kept = len(table) - len(named)
    record = {
        "method": "llm",
        "model": section.model,
        "endpoint": _public(section.endpoint),
        "named": len(table),
        "named_by_llm": len(named),
        "kept_offline": kept,
        "requests": client.requests,
        "from_cache": client.from_cache,
        "failures": dict(sorted(client.failures.items())),
        "languages": list(languages),
    }
    summary = None
    if kept:
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(client.failures.items())) or "none"
        summary = (
            f"naming: the LLM at {record['endpoint']} named {len(named)} of {len(table)} topics "
            f"and groups; {kept} kept their offline names (failures: {reasons})."
        )
    return table, record, summary


def node_prompt(node: Any, children: Sequence[dict[str, str]], languages: Sequence[str]) -> str:
    """The user message naming one node: keywords, phrases, titles, children's names."""
    lines = [f"Name this {'topic' if node.layer == 0 else 'group of topics'} "
             f"({node.size} abstracts)."]  # fmt: skip
    for lang, title in (("en", "English"), ("zh", "Chinese")):
        if node.keywords.get(lang):
            lines.append(f"{title} keywords: {', '.join(node.keywords[lang])}")
        phrases = [p for p in node.candidates.get(lang, []) if p not in node.keywords.get(lang, [])]
        if phrases:
            lines.append(f"{title} phrases: {', '.join(phrases[:12])}")
    if children:
        names = [" / ".join(v for v in child.values() if v) for child in children]
        lines.append("Its subtopics: " + "; ".join(n for n in names if n))
    if node.titles:
        lines.append("Typical titles:")
        lines += [f"- {' '.join(title.split())[:TITLE_CHARS]}" for title in node.titles[:TITLES]]
    lines.append(_answer_shape(languages))
    return "\n".join(lines)


def _answer_shape(languages: Sequence[str]) -> str:
    keys = {"en": '"en": "<English name>"', "zh": '"zh": "<中文名称>"'}
    return "Answer: {" + ", ".join(keys[lang] for lang in languages) + "}"


class Client:
    """Asks the endpoint, with the on-disk cache, a retry on 429 and a circuit breaker.

    Parameters
    ----------
    section:
        ``topics.naming``.
    cache_dir:
        Folder of cached answers (one JSON file per request hash); ``None`` = memory only.
    """

    def __init__(self, section: Any, cache_dir: Path | None) -> None:
        self.section, self.cache_dir = section, cache_dir
        self.requests = 0
        self.from_cache = 0
        self.failures: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._down = 0  # consecutive connection failures / timeouts
        self._memory: dict[str, str] = {}

    def ask(self, prompt: str, languages: Sequence[str]) -> Answer | None:
        """The model's names for one prompt (``None``: not answered or not valid)."""
        content = self.complete(prompt)
        if content is None:
            return None
        answer = parse_answer(content, languages)
        if answer is None:
            self._fail("malformed answers")
            return None
        return answer

    def complete(self, prompt: str) -> str | None:
        """The message content the model answered ``prompt`` with (cached), or ``None``."""
        body = {
            "model": self.section.model,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": prompt},
            ],
            "temperature": 0,
        }
        key = hashlib.sha256(
            json.dumps([PROMPT_VERSION, body], ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()
        cached = self._cached(key)
        if cached is not None:
            with self._lock:
                self.from_cache += 1
            return cached
        with self._lock:
            if self._down >= BREAKER:
                self.failures["not sent: endpoint unavailable"] += 1
                return None
        try:
            content = self._post(body)
        except Unavailable as error:
            with self._lock:
                self._down += 1
            self._fail(str(error))
            return None
        with self._lock:
            self._down = 0
        if content is None:
            return None
        if isinstance(_json_object(content), dict):  # garbage is asked again next run
            self._store(key, content)
        return content

    def _post(self, body: dict[str, Any]) -> str | None:
        url = self.section.endpoint.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self.section.api_key_env:
            headers["Authorization"] = f"Bearer {os.environ.get(self.section.api_key_env, '')}"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        for attempt in range(2):
            with self._lock:
                self.requests += 1
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.section.timeout_s) as response:
                    payload = response.read()
            except urllib.error.HTTPError as error:
                if error.code in (429, 503) and attempt == 0:
                    time.sleep(_retry_after(error.headers.get("Retry-After")))
                    continue
                self._fail("rate-limited" if error.code == 429 else f"HTTP {error.code}")
                return None
            except (TimeoutError, OSError) as error:  # URLError is an OSError
                reason = getattr(error, "reason", error)
                timed_out = isinstance(reason, TimeoutError) or "timed out" in str(reason)
                raise Unavailable("timed out" if timed_out else "unreachable") from None
            return _content(payload)
        return None

    def _fail(self, reason: str) -> None:
        with self._lock:
            self.failures[reason] += 1

    def _cached(self, key: str) -> str | None:
        if key in self._memory:
            return self._memory[key]
        if self.cache_dir is None:
            return None
        try:
            return json.loads((self.cache_dir / f"{key}.json").read_text("utf-8"))["content"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, key: str, content: str) -> None:
        self._memory[key] = content
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            record = {"model": self.section.model, "content": content}
            atomic_write_text(
                self.cache_dir / f"{key}.json", json.dumps(record, ensure_ascii=False)
            )


def parse_answer(content: str, languages: Sequence[str], strict: bool = True) -> Answer | None:
    """The names in a model's answer: the first JSON object in it, with a valid name per
    asked language (``strict=False``: any one valid name)."""
    found = _json_object(content)
    if not isinstance(found, dict):
        return None
    names = {lang: clean_name(found.get(lang), lang) for lang in ("en", "zh")}
    valid = [lang for lang in languages if names[lang]]
    if not valid or (strict and len(valid) < len(languages)):
        return None
    return Answer(
        en=names["en"] if "en" in languages else "", zh=names["zh"] if "zh" in languages else ""
    )


def clean_name(value: Any, lang: str) -> str:
    """A model's name made safe to keep, or ``""`` when it is not a usable name in ``lang``:
    control characters removed, spaces collapsed, quotes and a final full stop stripped, at
    most :data:`MAX_WORDS`; English holds no Han character, Chinese holds some."""
    if not isinstance(value, str):
        return ""
    text = " ".join(_CONTROL.sub(" ", value).split()).strip(" \"'“”‘’「」.。")
    if not text or len(text) > 120:
        return ""
    has_han = bool(HAN.search(text))
    if lang == "en":
        return text if not has_han and len(text.split()) <= MAX_WORDS["en"] else ""
    chars = len(HAN.findall(text))
    return text if has_han and chars <= MAX_WORDS["zh"] and len(_LATIN.findall(text)) <= 12 else ""


def _separate(
    client: Client, nodes: Sequence[Any], found: dict[int, Answer], languages: Sequence[str]
) -> dict[int, Answer]:
    """Ask once more, together, for nodes of one layer the model gave the same name."""
    fixed: dict[int, Answer] = {}
    for lang in languages:
        same: dict[str, list[int]] = {}
        for node_id, answer in found.items():
            name = getattr(answer, lang)
            if name:
                same.setdefault(name.casefold(), []).append(node_id)
        for ids in same.values():
            if len(ids) < 2:
                continue
            group = [node for node in nodes if node.id in ids]
            prompt = "\n\n".join(
                [
                    "These topics were given the same name. Give each a distinct name that "
                    "tells it apart from the others. Answer with one JSON object mapping each "
                    "topic's number to its names.",
                    *[f"Topic {n.id}:\n{node_prompt(n, [], languages)}" for n in group],
                ]
            )
            content = client.complete(prompt)
            parsed = _json_object(content or "")
            if not isinstance(parsed, dict):
                if content is not None:
                    client._fail("malformed answers")
                continue
            for node in group:
                entry = parsed.get(str(node.id))
                answer = parse_answer(json.dumps(entry), languages) if entry is not None else None
                if answer is not None:
                    fixed[node.id] = answer
            seen: set[str] = set()
            for node in sorted(group, key=lambda n: -n.size):  # still alike: largest keeps it
                answer = fixed.get(node.id, found[node.id])
                name = getattr(answer, lang).casefold()
                if name in seen:
                    fixed[node.id] = Answer()  # offline names for this one
                seen.add(name)
    return fixed


def _languages(setting: str, label_language: str) -> tuple[str, ...]:
    chosen = label_language if setting == "auto" else setting
    return ("en", "zh") if chosen == "both" else (chosen,)


def _names_of(table: pd.DataFrame, index: dict, layer: int, node: int) -> dict[str, str]:
    row = index.get((layer, node))
    if row is None:
        return {}
    return {lang: str(table.at[row, f"name_{lang}"] or "") for lang in ("en", "zh")}


def _json_object(content: str) -> Any:
    """The first JSON object in ``content`` (models wrap JSON in prose or code fences)."""
    start = content.find("{")
    while start >= 0:
        try:
            return json.JSONDecoder().raw_decode(content[start:])[0]
        except ValueError:
            start = content.find("{", start + 1)
    return None


def _content(payload: bytes) -> str | None:
    """``choices[0].message.content`` of an OpenAI chat completion (``None``: not one)."""
    try:
        message = json.loads(payload)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return ""  # answered, but not a completion: counted as malformed by the caller
    return message if isinstance(message, str) else ""


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1.0), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        return 1.0


def _public(endpoint: str | None) -> str:
    """The endpoint without credentials or query (a key may ride in either)."""
    if not endpoint:
        return ""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
