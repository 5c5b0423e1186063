import pytest
from django.utils import timezone

from leadpool.activity.models import CallRecord
from leadpool.fields.models import CustomField


@pytest.fixture
def level_field(db):
    return CustomField.objects.create(
        entity="lead",
        key="level",
        label="客户等级",
        type=CustomField.Type.CHOICE,
        choices=["A", "B"],
    )


@pytest.fixture
def make_call(db):
    def make(lead, author, **fields):
        fields.setdefault("number", lead.phone)
        fields.setdefault("started_at", timezone.now())
        return CallRecord.objects.create(lead=lead, author=author, **fields)

    return make
