import pytest
from django.core.management import call_command

from leadpool.accounts.models import User
from leadpool.activity.models import FollowUp
from leadpool.customers.models import Customer
from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_demo_builds_an_organisation_and_is_safe_to_run_twice(db, var_dir, capsys):
    # given
    call_command("demo", leads=200, customers=20)
    first = capsys.readouterr().out
    counts = (User.objects.count(), Lead.objects.count(), Customer.objects.count())
    # when
    call_command("demo", leads=200, customers=20)
    second = capsys.readouterr().out
    # then
    assert counts == (11, 200, 20)
    assert (User.objects.count(), Lead.objects.count(), Customer.objects.count()) == counts
    password = (var_dir / "demo_password").read_text()
    assert f"password: {password}" in first
    assert f"password: {password}" in second
    assert "already there" in second
    assert User.objects.get(username="admin").check_password(password)


def test_demo_data_is_consistent(db, var_dir):
    # when
    call_command("demo", leads=300, customers=30)
    # then
    assert Pool.objects.filter(kind=Pool.Kind.LEAD).count() == 2
    assert Pool.objects.filter(kind=Pool.Kind.CUSTOMER).count() == 1
    assert not Lead.objects.filter(pool__isnull=True, owner__isnull=True).exists()
    assert not Lead.objects.filter(owner__isnull=True, pooled_at__isnull=True).exists()
    assert not Lead.objects.exclude(phone_normalized__startswith="+86").exists()
    assert Event.objects.filter(action=Event.Action.CREATE).count() == 330
    assert FollowUp.objects.exists()
    names = Lead.objects.values_list("name", flat=True)
    assert any(not name.isascii() for name in names)
    assert any(name.isascii() for name in names)
    following = Lead.objects.filter(status=Lead.Status.FOLLOWING).first()
    assert following.last_followup_at is not None
