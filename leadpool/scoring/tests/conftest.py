import pytest

from leadpool.scoring.models import ScoringRule


@pytest.fixture
def make_rule(db):
    def make(field, operator, value, points, **extra):
        extra.setdefault("name", f"{field} {operator} {value}")
        return ScoringRule.objects.create(
            field=field, operator=operator, value=value, points=points, **extra
        )

    return make
