"""Name → factory registries, so the YAML names components instead of the code sniffing types.

Each registry maps the string a config uses (``embedding.backend: use``) to a factory. Modules
register themselves at import time; :func:`load_builtins` imports them all once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from topics.errors import ConfigError

FactoryT = TypeVar("FactoryT", bound=Callable[..., Any])


class Registry(Generic[FactoryT]):
    """A mapping from names to factories for one kind of component.

    Parameters
    ----------
    key:
        The config key whose value selects an entry, used in error messages
        (e.g. ``"embedding.backend"``).
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self._factories: dict[str, FactoryT] = {}

    def register(self, name: str) -> Callable[[FactoryT], FactoryT]:
        """Return a decorator that registers a factory under ``name``."""

        def decorator(factory: FactoryT) -> FactoryT:
            if name in self._factories:
                raise ValueError(f"{self.key}: '{name}' is registered twice")
            self._factories[name] = factory
            return factory

        return decorator

    def get(self, name: str) -> FactoryT:
        """Return the factory registered under ``name`` or raise a readable ConfigError."""
        load_builtins()
        try:
            return self._factories[name]
        except KeyError:
            known = sorted(self._factories)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"The '{self.key}' parameter must be one of {known}. Got '{name}' instead.{hint}"
            ) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        load_builtins()
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        load_builtins()
        return name in self._factories


embedders: Registry[Callable[..., Any]] = Registry("embedding.backend")
readers: Registry[Callable[..., Any]] = Registry("corpus.format")
representations: Registry[Callable[..., Any]] = Registry("topics.representation")
charts: Registry[Callable[..., Any]] = Registry("report.charts")

_BUILTIN_MODULES = (
    "topics.embed",
    "topics.corpus.readers",
    "topics.represent.models",
    "topics.report.charts",
)
_loaded = False


def load_builtins() -> None:
    """Import the modules that register the built-in components (idempotent)."""
    global _loaded
    if _loaded:
        return
    import importlib

    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    _loaded = True
