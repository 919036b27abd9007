"""Search and filters of the customer list.

Every condition here is index-backed on PostgreSQL (tests/test_pages_list_explain.py checks the plans):
account number and USCC by prefix (`varchar_pattern_ops` indexes), name by ILIKE on the
trigram GIN index `customer_name_trgm` (three characters or more) or, for two characters, by the
bigram GIN index `customer_name_bigrams` (customers migration 0003), arrears by EXISTS on
`bill_customer_due`.
"""

from __future__ import annotations

import datetime
import re

import django_filters
from django import forms
from django.db import connections
from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import levels
from .models import Bill, Company, Customer, company_ids_for
from .validation import harden_text_fields


class ILikeContains(Lookup):
    """`lhs ILIKE rhs` on PostgreSQL: unlike Django's icontains (UPPER(name) LIKE …), it can use a trigram index."""

    lookup_name = "ilike"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


class HasBigram(Lookup):
    """`customers_bigrams(lhs) @> ARRAY[lower(rhs)]` on PostgreSQL: the two characters `rhs` occur in `lhs`
    (any case), answered by the expression index `customer_name_bigrams` (trigrams need three characters)."""

    lookup_name = "has_bigram"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"customers_bigrams({lhs}) @> ARRAY[lower({rhs}::text)]", [*lhs_params, *rhs_params]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# What an account number (customers/validation.py) or a USCC (GB 32100: digits and capitals) is made of.
CODE_PREFIX_RE = re.compile(r"[A-Za-z0-9-]+")


def search_q(q: str, using: str = "default") -> Q:
    """Account number (prefix), USCC (prefix, any case) or name (contains, any case).

    A `q` that cannot begin an account number or a USCC (e.g. Chinese) searches the name alone: one
    index condition instead of an OR, which PostgreSQL must then recheck row by row.
    """
    cond = Q()
    if CODE_PREFIX_RE.fullmatch(q):
        for prefix in {q, q.upper()}:
            cond |= Q(account_no__startswith=prefix)
        cond |= Q(uscc__startswith=q.upper())
    if connections[using].vendor == "postgresql" and len(q) == 2:
        cond |= Q(HasBigram(F("name"), Value(q)))
    elif connections[using].vendor == "postgresql":
        cond |= Q(ILikeContains(F("name"), Value(f"%{_like_escape(q)}%")))
    else:
        cond |= Q(name__icontains=q)
    return cond


def overdue_exists(day: datetime.date) -> Exists:
    """EXISTS a bill due before `day` and not paid by it (annex4-rules.md "overdue bills").

    A payment date is never in the future (the importer refuses one), so as of today an
    overdue bill is simply an unpaid one, which the partial index `bill_unpaid_due` serves.
    """
    unpaid = Q(paid_on__isnull=True)
    if day < timezone.localdate():
        unpaid |= Q(paid_on__gt=day)
    return Exists(Bill.objects.filter(unpaid, customer=OuterRef("pk"), due_on__lt=day))


def _user_companies(request) -> QuerySet[Company]:
    if request is None:
        return Company.objects.none()
    return Company.objects.filter(id__in=company_ids_for(request.user))


class StyledFilterSet(django_filters.FilterSet):
    """A filter set whose fields carry Bootstrap classes and a `filter-<name>` test id (the list pages' bars)."""

    @property
    def form(self) -> forms.Form:
        # Styled when first built (not in __init__: a subclass may still change its filters there).
        if not hasattr(self, "_form"):
            for name, field in super().form.fields.items():
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)
                field.widget.attrs.setdefault("data-testid", f"filter-{name}")
            # A NUL, control or bidi character or an overlong search is refused with a message (the
            # page prefixes the field's label), not sent to the database or silently dropped.
            harden_text_fields(self._form.fields, name_in_message=False)
        return self._form


NO_LEVEL = levels.NO_LEVEL


class CustomerFilter(StyledFilterSet):
    """The list's search box and filters; the queryset given must already be scoped to the user."""

    OVERDUE_YES = "1"
    OVERDUE_NO = "0"
    NO_LEVEL = levels.NO_LEVEL

    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_q",
        widget=forms.TextInput(
            attrs={"placeholder": _("户号、统一社会信用代码或单位名称"), "autofocus": True, "type": "search"}
        ),
    )
    company = django_filters.ModelChoiceFilter(label=_("所属公司"), queryset=_user_companies, empty_label=_("全部公司"))
    payment_mode = django_filters.ChoiceFilter(
        label=_("缴费方式"), choices=Customer.PAYMENT_MODE_CHOICES, empty_label=_("全部缴费方式")
    )
    overdue = django_filters.ChoiceFilter(
        label=_("欠费"),
        choices=[(OVERDUE_YES, _("有逾期欠费")), (OVERDUE_NO, _("无逾期欠费"))],
        empty_label=_("不限欠费情况"),
        method="filter_overdue",
    )

    level = django_filters.ChoiceFilter(
        label=_("当前等级"),
        choices=[*levels.LEVEL_LABELS.items(), (NO_LEVEL, _("未评级"))],
        empty_label=_("全部等级"),
        method="filter_level",
    )

    class Meta:
        model = Customer
        fields = ["q", "company", "payment_mode", "overdue", "level"]

    def filter_level(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        """By the effective level in the latest succeeded run (`self.run`), as the registered level provider
        says (`customers.levels`; ratings/customer_list.py: a semi-join on the run's results, 未评级 an
        anti-join)."""
        if not value:
            return queryset
        run = self.run
        if run is None:
            return queryset if value == self.NO_LEVEL else queryset.none()
        return levels.provider().filter(queryset, run, value)  # the ratings app's (customers.levels)

    def __init__(self, *args, run=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.run = run  # the latest succeeded run, whose effective levels the level filter reads

    def filter_q(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(search_q(value, queryset.db))

    def filter_overdue(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        if value == self.OVERDUE_YES:
            return queryset.filter(overdue_exists(timezone.localdate()))
        if value == self.OVERDUE_NO:
            return queryset.filter(~overdue_exists(timezone.localdate()))
        return queryset
