"""Settings → Departments: the tree, creating, renaming and moving, and deleting only what
accounts/services.delete_department allows, with its reason shown."""

from django.urls import reverse

from leadpool.accounts.models import Department

DEPARTMENTS = reverse("web:settings_departments")
NEW = reverse("web:settings_department_create")


def edit_url(department) -> str:
    return reverse("web:settings_department", args=[department.pk])


def test_the_tree_lists_parents_before_their_children(client_for, admin, departments):
    # when
    page = client_for(admin).get(DEPARTMENTS).content.decode()
    # then
    names = ("HQ", "East Sales", "East Team", "West Sales")
    positions = [page.index(f">{name}</a>") for name in names]
    assert positions == sorted(positions)
    assert 'style="--depth: 2"' in page  # East Team, two below HQ


def test_an_admin_creates_a_department_under_another(client_for, admin, departments):
    # when
    response = client_for(admin).post(NEW, {"name": "华南销售部", "parent": departments["hq"].pk})
    # then
    assert response["Location"] == DEPARTMENTS
    assert Department.objects.get(name="华南销售部").parent == departments["hq"]


def test_a_name_taken_under_the_same_parent_is_refused(client_for, admin, departments):
    # when
    response = client_for(admin).post(NEW, {"name": "West Sales", "parent": departments["hq"].pk})
    # then
    assert response.status_code == 400
    assert "There is already a department with this name here." in response.content.decode()
    assert Department.objects.filter(name="West Sales").count() == 1


def test_an_admin_renames_and_moves_a_department(client_for, admin, departments):
    # when
    response = client_for(admin).post(
        edit_url(departments["east_team"]),
        {"name": "East Key Accounts", "parent": departments["west"].pk},
    )
    # then
    assert response.status_code == 302
    departments["east_team"].refresh_from_db()
    assert departments["east_team"].name == "East Key Accounts"
    assert departments["east_team"].parent == departments["west"]


def test_a_department_cannot_move_below_itself(client_for, admin, departments):
    # when
    form = client_for(admin).get(edit_url(departments["east"])).content.decode()
    response = client_for(admin).post(
        edit_url(departments["east"]), {"name": "East Sales", "parent": departments["east_team"].pk}
    )
    # then
    assert f'<option value="{departments["east_team"].pk}"' not in form
    assert response.status_code == 400
    departments["east"].refresh_from_db()
    assert departments["east"].parent == departments["hq"]


def test_a_department_with_people_or_children_is_not_deleted(
    client_for, admin, rep_west, departments
):
    client = client_for(admin)
    # when
    with_children = client.post(
        reverse("web:settings_department_delete", args=[departments["east"].pk])
    )
    with_people = client.post(
        reverse("web:settings_department_delete", args=[departments["west"].pk])
    )
    # then
    for response in (with_children, with_people):
        assert response.status_code == 400
        assert "Move its users and sub-departments out first." in response.content.decode()
    assert Department.objects.count() == 4


def test_a_pools_member_department_is_not_deleted(client_for, admin, departments, lead_pool):
    # given East Team emptied, its parent East Sales still a member of the pool
    Department.objects.filter(pk=departments["east_team"].pk).delete()
    # when
    response = client_for(admin).post(
        reverse("web:settings_department_delete", args=[departments["east"].pk])
    )
    # then
    assert response.status_code == 400
    assert "Remove it from the pools it belongs to first." in response.content.decode()
    assert Department.objects.filter(pk=departments["east"].pk).exists()


def test_an_empty_department_is_deleted(client_for, admin, departments):
    # given
    empty = Department.objects.create(name="Empty", parent=departments["hq"])
    # when
    response = client_for(admin).post(reverse("web:settings_department_delete", args=[empty.pk]))
    # then
    assert response["Location"] == DEPARTMENTS
    assert not Department.objects.filter(pk=empty.pk).exists()


def test_a_manager_may_not_delete_a_department(client_for, manager, departments):
    # given
    empty = Department.objects.create(name="Empty")
    # when
    response = client_for(manager).post(reverse("web:settings_department_delete", args=[empty.pk]))
    # then
    assert response.status_code == 403
    assert Department.objects.filter(pk=empty.pk).exists()
