"""Changes to users, departments, custom fields and the conversion mapping are in the
audit log (issue 10: "rule changes … recorded with who, what, when and from where"), made
through the services the API and the web settings pages share."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from leadpool.accounts.models import Department
from leadpool.accounts.services import delete_department, save_department, save_user
from leadpool.customers.services import delete_mapping, save_mapping
from leadpool.fields.models import CustomField
from leadpool.fields.services import save_field
from leadpool.history.models import AuditEntry

CHANGED = AuditEntry.Action.SETTINGS_CHANGED


def entries():
    return list(AuditEntry.objects.filter(action=CHANGED).order_by("id"))


def test_creating_and_editing_a_user_is_audited_without_the_password(admin):
    user = save_user(
        by=admin, data={"username": "newrep", "password": "Tr1cky-Passphrase!", "role": "sales"}
    )
    save_user(by=admin, user=user, data={"display_name": "New Rep", "password": "An0ther-one!!"})

    created, edited = entries()
    assert (created.actor, created.target) == (admin, f"user:{user.pk} newrep")
    assert created.details == {"created": True, "fields": ["password", "role", "username"]}
    assert edited.details == {"created": False, "fields": ["display_name", "password"]}
    assert "Tr1cky" not in str(created.details) and "An0ther" not in str(edited.details)


def test_a_refused_change_writes_no_audit_entry(admin, rep_east):
    with pytest.raises(ValidationError):
        save_user(by=admin, data={"username": "x"})  # no password
    with pytest.raises(PermissionDenied):
        save_user(by=rep_east, data={"username": "y", "password": "Tr1cky-Passphrase!"})
    assert entries() == []


def test_department_create_rename_and_delete_are_audited(admin):
    department = save_department(by=admin, data={"name": "North"})
    save_department(by=admin, department=department, data={"name": "North Sales"})
    delete_department(by=admin, department=Department.objects.get(pk=department.pk))

    created, renamed, deleted = entries()
    assert created.details["created"] is True
    assert renamed.target == f"department:{department.pk} North Sales"
    assert deleted.details == {"deleted": True}
    assert deleted.target == f"department:{department.pk} North Sales"


def test_custom_fields_and_the_mapping_are_audited(admin):
    lead_field = save_field(
        by=admin, data={"entity": "lead", "key": "budget", "label": "Budget", "type": "text"}
    )
    customer_field = save_field(
        by=admin, data={"entity": "customer", "key": "budget", "label": "Budget", "type": "text"}
    )
    mapping = save_mapping(by=admin, lead_field=lead_field, customer_field=customer_field)
    delete_mapping(by=admin, mapping=mapping)

    field_entry, _customer_entry, mapped, unmapped = entries()
    assert field_entry.target == f"customfield:{lead_field.pk} lead.budget"
    assert mapped.details == {"mapping": "lead.budget → customer.budget", "deleted": False}
    assert unmapped.details["deleted"] is True


def test_an_api_change_is_audited_with_the_callers_address(admin):
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    client.force_authenticate(admin)
    response = client.post(
        "/api/v1/fields/",
        {"entity": "lead", "key": "tier", "label": "Tier", "type": "text"},
        format="json",
    )
    assert response.status_code == 201, response.content
    (entry,) = entries()
    assert entry.address == "203.0.113.9"
    assert entry.target == f"customfield:{CustomField.objects.get(key='tier').pk} lead.tier"
