"""Cards that the apps above `customers` put on the credit file, without `customers` importing them.

The way Django admin's `site.register` works: an app registers its card in its `AppConfig.ready()`
(a template and a function giving the template's context), and the credit file page
(`customers.views.files.customer_detail`) shows every registered card in the side column, in `order`.
`customers` itself never names a higher app.

    # reporting/apps.py
    def ready(self):
        from customers import cards
        cards.register("credit_checks", template="reporting/_check_card.html", context=check_card, order=50)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .models import Customer

CardContext = Callable[[HttpRequest, Customer], dict]


@dataclass(frozen=True)
class Card:
    name: str
    template: str
    context: CardContext
    order: int = 100


_registry: dict[str, Card] = {}


def register(name: str, *, template: str, context: CardContext, order: int = 100) -> None:
    """Add (or replace, by `name`) a card of the credit file."""
    _registry[name] = Card(name=name, template=template, context=context, order=order)


def registered() -> list[Card]:
    return sorted(_registry.values(), key=lambda card: (card.order, card.name))


def file_cards(request: HttpRequest, customer: Customer) -> dict:
    """The registered cards' contexts merged, and `file_cards`: their templates in order."""
    context: dict = {}
    templates = []
    for card in registered():
        context.update(card.context(request, customer))
        templates.append(card.template)
    return {**context, "file_cards": templates}
