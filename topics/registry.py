"""Name → factory registries, so the YAML names components instead of the code sniffing types.

Each registry maps the string a config uses (``embedding.backend: use``) to a factory. Modules
register themselves at import time; a registry imports its own modules the first time it is
asked (config validation only pays for the readers and representations it checks).

What a built component can do is declared on the component itself, as boolean attributes
named in :data:`CAPABILITIES` (``corpus_fitted = True``), and read with :func:`capable` — the
pipeline asks "can this embedder embed words?" instead of comparing backend names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from topics.common import did_you_mean
from topics.errors import ConfigError

FactoryT = TypeVar("FactoryT", bound=Callable[..., Any])

#: Capability tags a component may set to True (absent = False), and what each promises.
CAPABILITIES = {
    "multilingual": "puts Chinese and English texts in one vector space",
    "embeds_words": "embeds any text, single words included, without refitting "
    "(KeyBERT/MMR candidate words)",
    "corpus_fitted": "vectors depend on the whole corpus, so it gets every text in one call",
    "keeps_translations": "a text and its translation land close together (measured: most "
    "held-out ChinaXiv pairs in one topic), so topics span languages",
    "use_vectors": "its vectors are multilingual-USE vectors (translation detection is tuned "
    "on them)",
}


class Registry(Generic[FactoryT]):
    """A mapping from names to factories for one kind of component.

    Parameters
    ----------
    key:
        The config key whose value selects an entry, used in error messages
        (e.g. ``"embedding.backend"``).
    modules:
        Modules whose import registers the built-in entries.
    """

    def __init__(self, key: str, modules: Iterable[str] = ()) -> None:
        self.key = key
        self.modules = tuple(modules)
        self._factories: dict[str, FactoryT] = {}
        self._loaded = False

    def register(self, name: str) -> Callable[[FactoryT], FactoryT]:
        """Return a decorator that registers a factory under ``name``."""

        def decorator(factory: FactoryT) -> FactoryT:
            if name in self._factories:
                raise ValueError(f"{self.key}: '{name}' is registered twice")
            self._factories[name] = factory
            return factory

        return decorator

    def load(self) -> None:
        """Import this registry's built-in modules (idempotent)."""
        if not self._loaded:
            for module in self.modules:
                importlib.import_module(module)
            self._loaded = True

    def get(self, name: str) -> FactoryT:
        """Return the factory registered under ``name`` or raise a readable ConfigError."""
        self.load()
        try:
            return self._factories[name]
        except KeyError:
            raise ConfigError(unknown_choice(self.key, name, self.names())) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        self.load()
        return sorted(self._factories)

    def entries(self) -> dict[str, FactoryT]:
        """Name → factory in the order they registered (the built-ins first)."""
        self.load()
        return dict(self._factories)

    def __contains__(self, name: object) -> bool:
        self.load()
        return name in self._factories


def unknown_choice(key: str, name: str, known: list[str]) -> str:
    """The one-line message for a value that is not among ``known``."""
    hint = did_you_mean(name, known)
    return f"The '{key}' parameter must be one of {known}. Got '{name}' instead.{hint}"


def capable(component: Any, tag: str) -> bool:
    """Whether ``component`` declares the capability ``tag`` (see :data:`CAPABILITIES`)."""
    if tag not in CAPABILITIES:
        raise ValueError(f"unknown capability {tag!r}; known: {sorted(CAPABILITIES)}")
    return bool(getattr(component, tag, False))


def part_with(component: Any, tag: str) -> Any | None:
    """``component`` itself when it has ``tag``, else its first sub-component that has it.

    A ``combined`` embedder exposes its parts as ``components``: ``part_with(embedder,
    "use_vectors")`` finds the USE block of ``combined: [use, tfidf]``.
    """
    if capable(component, tag):
        return component
    for part in getattr(component, "components", None) or []:
        if capable(part, tag):
            return part
    return None


embedders: Registry[Callable[..., Any]] = Registry("embedding.backend", ["topics.embed"])
readers: Registry[Callable[..., Any]] = Registry("corpus.format", ["topics.corpus.readers"])
representations: Registry[Callable[..., Any]] = Registry(
    "topics.representation", ["topics.represent.models"]
)
charts: Registry[Callable[..., Any]] = Registry("report.charts", ["topics.report.charts"])
engines: Registry[Callable[..., Any]] = Registry("engine.kind", ["topics.engine"])
