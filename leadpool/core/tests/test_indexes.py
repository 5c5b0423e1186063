"""The indexes of the tables that grow by millions (records, their history, notifications):
every foreign key can be looked up by an index, and no key has two. Each index costs
every insert and, on a record, every change of owner or pool, so a redundant one slows
imports, claims and the rules sweep for nothing (bench/README.md)."""

import pytest
from django.db import models

from leadpool.customers.models import Customer
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead

GROWING = [Lead, Customer, Event, Notification]


def _leading_columns(model) -> list[tuple[str, bool]]:
    """(first column, partial?) of each B-tree index Django makes for `model`."""
    leading = [
        (field.column, False)
        for field in model._meta.concrete_fields
        if field.db_index or field.unique or field.primary_key
    ]
    for index in model._meta.indexes:
        first = index.fields[0].lstrip("-")
        leading.append((model._meta.get_field(first).column, index.condition is not None))
    return leading


@pytest.mark.parametrize("model", GROWING, ids=lambda model: model.__name__)
def test_every_foreign_key_can_be_looked_up_by_an_index(model):
    # given
    keys = [f.column for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    # when
    indexed = {column for column, _partial in _leading_columns(model)}
    # then: a lookup by the key (a record's history, a deletion's cascade) never scans
    assert keys and set(keys) <= indexed, set(keys) - indexed


@pytest.mark.parametrize("model", GROWING, ids=lambda model: model.__name__)
def test_no_column_leads_two_whole_table_indexes(model):
    # given
    whole = [column for column, partial in _leading_columns(model) if not partial]
    # then: a single-column index beside a composite one starting with it is redundant
    assert sorted(whole) == sorted(set(whole))
