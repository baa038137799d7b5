"""The forecaster registry: the one list of forecasters that reports, pages and commands read.

Each forecaster lives in its own module under
:mod:`hexops.analytics.risk.forecasters` and registers itself with
:func:`register_forecaster`; :func:`load_forecasters` imports every module of
that package, so adding a forecaster means adding one module (and its test).
The command line's choices, the backtest service, the forecast service, the
commander's page and the reports all ask this module for names, kinds and
one-line definitions.

Importing this module is cheap (no scikit-learn): the forecasters are
imported on the first question asked of the registry.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from threading import Lock
from typing import Callable, Iterable

from hexops.analytics.risk.errors import RiskInputError

#: The kinds of forecaster, in the order reports list them.
KINDS: tuple[str, ...] = ("baseline", "peer", "model")
#: The baseline every forecaster's skill is measured against (``skill_pai_5``).
REFERENCE = "naive_365"

_FORECASTER_PACKAGE = "hexops.analytics.risk.forecasters"


@dataclass(frozen=True)
class ForecasterSpec:
    """What the registry knows about one forecaster.

    Attributes
    ----------
    name : str
        Report name (``naive_365``, ``kde``, ``gbm``); the key everywhere.
    kind : str
        ``baseline`` (a naive count, always in every backtest), ``peer``
        (what other products do) or ``model`` (hexops's own forecasters).
    label : str
        The forecaster in plain words, for commanders ("counting last
        year's incidents").
    definition : str
        One line saying how it forecasts, shown behind the page's details.
    factory : callable
        Builds a forecaster with its default settings.
    default : bool
        Compared by default in backtests and forecasts (baselines always are).
    quick : bool
        Cheap enough for the per-type forecasts the demo makes.
    """

    name: str
    kind: str
    label: str
    definition: str
    factory: Callable[[], object]
    default: bool = True
    quick: bool = False

    @property
    def is_baseline(self) -> bool:
        return self.kind == "baseline"


_registry: dict[str, ForecasterSpec] = {}
_loaded = False
_load_lock = Lock()


def register_forecaster(name: str, *, kind: str, label: str, definition: str, default: bool = True,
                        quick: bool = False):
    """Class decorator: register a forecaster class under ``name``.

    The class must be constructible without arguments (its defaults are the
    settings reports use) and follow :class:`~hexops.analytics.risk.base.Forecaster`.
    Registering a name twice replaces the earlier entry (a module reloaded).
    """
    if kind not in KINDS:
        raise ValueError(f"forecaster kind {kind!r} is not one of {KINDS}")

    def decorate(cls):
        add_forecaster(ForecasterSpec(name=name, kind=kind, label=label, definition=definition,
                                      factory=cls, default=default, quick=quick))
        return cls

    return decorate


def add_forecaster(spec: ForecasterSpec) -> None:
    """Register ``spec`` (what :func:`register_forecaster` does for a class)."""
    _registry[spec.name] = spec


def remove_forecaster(name: str) -> None:
    """Forget a forecaster (tests that registered a toy one)."""
    _registry.pop(name, None)


def load_forecasters() -> None:
    """Import every module of :mod:`hexops.analytics.risk.forecasters` once (each registers itself)."""
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        package = importlib.import_module(_FORECASTER_PACKAGE)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{_FORECASTER_PACKAGE}.{info.name}")
        _loaded = True


def specs() -> list[ForecasterSpec]:
    """Every registered forecaster: baselines first, then peers, then models (registration order within)."""
    load_forecasters()
    return sorted(_registry.values(), key=lambda s: KINDS.index(s.kind))


def spec(name: str) -> ForecasterSpec:
    """The entry for ``name``; an unknown name raises :class:`RiskInputError` listing the choices."""
    load_forecasters()
    try:
        return _registry[name]
    except KeyError:
        raise RiskInputError(f"unknown model {name!r}; choose from {', '.join(names())}", field="models") from None


def kind_of(name: str) -> str:
    """The kind of a registered forecaster; an unregistered one (a test's) counts as a ``model``."""
    load_forecasters()
    found = _registry.get(name)
    return found.kind if found is not None else "model"


def names(kind: str | None = None) -> list[str]:
    """Registered names (of one kind if given), in report order."""
    return [s.name for s in specs() if kind is None or s.kind == kind]


def baseline_names() -> list[str]:
    return names("baseline")


def default_names() -> list[str]:
    """What a backtest or forecast compares when not told otherwise."""
    return [s.name for s in specs() if s.default or s.is_baseline]


def quick_names() -> list[str]:
    """The cheap forecasters (baselines included), for many small forecasts."""
    return [s.name for s in specs() if s.quick or s.is_baseline]


def with_baselines(requested: Iterable[str]) -> list[str]:
    """Every baseline (registry order), then the other ``requested`` names in their order; names checked."""
    wanted = list(dict.fromkeys(requested))
    for name in wanted:
        spec(name)
    return baseline_names() + [n for n in wanted if not spec(n).is_baseline]


def make_models(requested: Iterable[str]) -> list:
    """Fresh forecasters with their default settings, in the order given."""
    return [spec(name).factory() for name in requested]


def parse_names(text: str | Iterable[str] | None) -> list[str]:
    """``"kde, gbm"`` (or a list) as checked names; empty or None means :func:`default_names`."""
    if text is None:
        return default_names()
    items = text.split(",") if isinstance(text, str) else list(text)
    wanted = [item.strip() for item in items if item and item.strip()]
    if not wanted:
        return default_names()
    for name in wanted:
        spec(name)
    return wanted
