"""The records of the apps above `customers` that the change history names (`customers.views.files`).

An app registers its audited models in its `AppConfig.ready()`, by the name the audit log gives them,
with how a history line names one record (`label`, by its number or date, never its id) and what to
load with it (`select_related`); `customers` never imports them. `order` keeps the admin's 对象类型
filter in a fixed order (customers' own models first).

    # ratings/apps.py
    audited.register("override", LevelOverride, label=override_label, order=10)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model


@dataclass(frozen=True)
class Audited:
    name: str
    model: type[Model]
    label: Callable[[Model], str] | None = None
    select_related: tuple[str, ...] = ()
    order: int = 100


_registry: dict[str, Audited] = {}


def register(
    name: str,
    model: type[Model],
    *,
    label: Callable[[Model], str] | None = None,
    select_related: tuple[str, ...] = (),
    order: int = 100,
) -> None:
    """Add (or replace, by `name`) an audited model of a higher app."""
    _registry[name] = Audited(name=name, model=model, label=label, select_related=select_related, order=order)


def registered() -> list[Audited]:
    return sorted(_registry.values(), key=lambda item: (item.order, item.name))


def models() -> dict[str, type[Model]]:
    """The registered models by their audit names, in `order`."""
    return {item.name: item.model for item in registered()}


def label_for(obj: Model) -> str | None:
    """The registered label of `obj` (None when its model registered none)."""
    for item in _registry.values():
        if item.label is not None and isinstance(obj, item.model):
            return item.label(obj)
    return None


def select_related_for(model: type[Model]) -> tuple[str, ...]:
    for item in _registry.values():
        if item.model is model:
            return item.select_related
    return ()
