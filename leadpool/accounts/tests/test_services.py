import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError

from leadpool.accounts.models import User
from leadpool.accounts.services import save_user


def test_a_username_logs_in_whatever_its_case(rep_east):
    # when
    user = authenticate(username="REP_EAST", password="pw-rep_east")
    # then
    assert user == rep_east


def test_usernames_differing_only_in_case_cannot_both_exist(rep_east):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="Rep_East", password="x")


def test_an_admin_cannot_take_away_their_own_admin_role(admin):
    # when
    with pytest.raises(ValidationError) as raised:
        save_user(by=admin, user=admin, data={"role": "sales"})
    # then
    assert raised.value.message_dict == {"role": ["You cannot take away your own admin role."]}
    admin.refresh_from_db()
    assert admin.role == User.Role.ADMIN
