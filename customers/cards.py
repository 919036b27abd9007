"""Cards that the apps above `customers` put on the credit file, without `customers` importing them.

The way Django admin's `site.register` works: an app registers its card in its `AppConfig.ready()`
(a template and a function giving the template's context), and the credit file page
(`customers.views.files.customer_detail`) shows every registered card of a column, in `order`:
`slot="side"` (the right-hand column, after the arrears card) or `slot="main"` (between the events
and the bills). `customers` itself never names a higher app.

    # reporting/apps.py
    def ready(self):
        from customers import cards
        cards.register("credit_checks", template="reporting/_check_card.html", context=check_card, order=50)

A card whose context needs what an earlier card loaded (the notice card reads the pledge card's
pledges, so they are not queried twice) registers with `reads_context=True`: its function is called
as `context(request, customer, so_far)`, `so_far` being the merged contexts of the cards before it.

The credit file's PDF (`customers.views.printout`) has its own registry of sections the same way
(`register_print_section`): a template and a context, in `order`, numbered 一、二、… by their place
among the file's own sections (基本信息 at 0, 信用记录 at 30).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .models import Customer

CardContext = Callable[..., dict]
SLOTS = ("side", "main")


@dataclass(frozen=True)
class Card:
    name: str
    template: str
    context: CardContext
    order: int = 100
    slot: str = "side"
    reads_context: bool = False


_registry: dict[str, Card] = {}


def register(
    name: str,
    *,
    template: str,
    context: CardContext,
    order: int = 100,
    slot: str = "side",
    reads_context: bool = False,
) -> None:
    """Add (or replace, by `name`) a card of the credit file."""
    if slot not in SLOTS:
        raise ValueError(f"slot must be one of {SLOTS}, not {slot!r}")
    _registry[name] = Card(
        name=name, template=template, context=context, order=order, slot=slot, reads_context=reads_context
    )


def registered() -> list[Card]:
    return sorted(_registry.values(), key=lambda card: (card.order, card.name))


def _merged(cards: list, request: HttpRequest, customer: Customer) -> dict:
    context: dict = {}
    for card in cards:
        if card.reads_context:
            context.update(card.context(request, customer, context))
        else:
            context.update(card.context(request, customer))
    return context


def file_cards(request: HttpRequest, customer: Customer) -> dict:
    """The registered cards' contexts merged (in `order`), `file_cards`: the side column's templates in
    order, and `file_main_cards`: the main column's."""
    cards = registered()
    context = _merged(cards, request, customer)
    return {
        **context,
        "file_cards": [card.template for card in cards if card.slot == "side"],
        "file_main_cards": [card.template for card in cards if card.slot == "main"],
    }


# --- the credit file's PDF -------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintSection:
    name: str
    template: str
    context: CardContext
    order: int = 100
    reads_context: bool = False


_print_registry: dict[str, PrintSection] = {}


def register_print_section(
    name: str, *, template: str, context: CardContext, order: int = 100, reads_context: bool = False
) -> None:
    """Add (or replace, by `name`) a section of the credit file's PDF; `context(request, customer)`."""
    _print_registry[name] = PrintSection(
        name=name, template=template, context=context, order=order, reads_context=reads_context
    )


def print_sections() -> list[PrintSection]:
    return sorted(_print_registry.values(), key=lambda section: (section.order, section.name))


def print_context(request: HttpRequest, customer: Customer, sections: list[PrintSection]) -> dict:
    """The given sections' contexts merged, in order."""
    return _merged(sections, request, customer)
