"""The read side's shared part: a `View` is a collection a surface queries with its own query
language, as named fields a filter tree (`testament.domain.filters`) may name; a `Selection` is
what a surface asks of it; `window` compiles one against the other. Each feature declares its
own views and query functions beside its use cases (users.USERS and users.query_users, ...).

A view names its fields in Testament's words (`created_at`, `run_by_id`); a field is a column
or a derived value (a run's displayed status, the id of the user who ran it), declared in its
feature's module once as SQL, so the surfaces filter and order on what they show without building SQL. A
surface that speaks other names (Enterprise Tester's `CreatedAt`, `RunById`) passes them in
`Selection.names` (its name -> the view's); the tree is then compiled under the surface's
names, so a mistake (an unknown property and its "did you mean") is told in the caller's
words. `View.field_kinds` tells a parser what type each field holds (TQL types bare values by
the field's kind) without the surface seeing a column.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement

from testament.domain.filters import Kind, Node, SortKey
from testament.services.paging import Window
from testament.store.filters import compile_filter, compile_order, kind_of

__all__ = ["Selection", "View", "window"]


@dataclass(frozen=True)
class View:
    """One collection's fields: name -> column or derived value (SQL over the collection's table)."""

    fields: Mapping[str, ColumnElement[Any]]

    @cached_property
    def field_kinds(self) -> dict[str, Kind]:
        return {name: kind_of(column.type) for name, column in self.fields.items()}

    def named(self, names: Mapping[str, str] | None) -> dict[str, ColumnElement[Any]]:
        """The fields under the caller's names (`names`: caller's name -> this view's), or as declared."""
        if names is None:
            return dict(self.fields)
        return {caller: self.fields[own] for caller, own in names.items()}


@dataclass(frozen=True)
class Selection:
    """What a surface asks of a collection: a filter tree, sort keys and an offset window, in
    the surface's field names (`names`: its name -> the view's; None: the view's own names)."""

    where: Node | None = None
    order: Sequence[SortKey] = ()
    limit: int = 25
    offset: int = 0
    names: Mapping[str, str] | None = None


def window(view: View, selection: Selection) -> Window:
    """The selection compiled against the view: SQL for the store's offset pages. FilterError
    says what the tree names that the view does not have, or what does not type-check."""
    fields = view.named(selection.names)
    where = compile_filter(selection.where, fields) if selection.where is not None else None
    return Window(where, compile_order(selection.order, fields), selection.limit, selection.offset)
