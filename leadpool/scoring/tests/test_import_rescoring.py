"""An import with dedupe=update rescores the leads it updates, in the same batch as it
changes them (transfer/import_writer.py), as an edit would."""

import io

import pytest

from leadpool.leads.models import Lead
from leadpool.transfer import imports

pytestmark = pytest.mark.django_db


def run(by, text: str, **options):
    job = imports.start_import(
        by=by, source=io.BytesIO(text.encode()), file_name="leads.csv", enqueue=False,
        entity="lead", dedupe="update", **options,
    )  # fmt: skip
    imports.run_import(job.pk)
    job.refresh_from_db()
    return job


def test_leads_updated_by_an_import_are_rescored(pool_admin, lead_pool, make_rule, make_lead):
    # given: two leads on file, scored as they are
    make_rule("source", "equals", "展会", 20)
    make_rule("region", "equals", "华东", 5)
    changed = make_lead(pool=lead_pool, phone="13800138000", source="官网", name="张伟")
    cleared = make_lead(
        pool=lead_pool,
        phone="13900139000",
        source="展会",
        name="李娜",
        score=20,
        score_explanation=[{"rule": None, "name": "old", "points": 20, "reason": "old"}],
    )
    untouched = make_lead(pool=lead_pool, phone="13700137000", source="官网", name="王芳")
    # when: the file changes the first two and adds a third
    job = run(
        pool_admin,
        "姓名,手机,来源,区域\r\n"
        "张伟,13800138000,展会,华东\r\n"
        "李娜,13900139000,官网,\r\n"
        "赵强,13600136000,展会,\r\n",
        pool=lead_pool.pk,
    )
    # then
    assert (job.created, job.updated) == (1, 2)
    scores = dict(Lead.objects.values_list("pk", "score"))
    assert scores[changed.pk] == 25
    assert scores[cleared.pk] == 0
    assert scores[untouched.pk] == 0  # not in the file: not rescored, still as it was
    assert Lead.objects.get(name="赵强").score == 20
    changed.refresh_from_db()
    assert [entry["points"] for entry in changed.score_explanation] == [20, 5]
    cleared.refresh_from_db()
    assert cleared.score_explanation == []


def test_a_dry_run_rescores_nothing(pool_admin, lead_pool, make_rule, make_lead):
    make_rule("source", "equals", "展会", 20)
    lead = make_lead(pool=lead_pool, phone="13800138000", source="官网")
    job = run(
        pool_admin, "姓名,手机,来源\r\n张伟,13800138000,展会\r\n", pool=lead_pool.pk, dry_run=True
    )
    assert job.updated == 1
    lead.refresh_from_db()
    assert (lead.source, lead.score) == ("官网", 0)


def test_without_rules_an_old_score_is_cleared(pool_admin, lead_pool, make_lead):
    lead = make_lead(pool=lead_pool, phone="13800138000", source="官网", score=20)
    run(pool_admin, "姓名,手机,来源\r\n张伟,13800138000,展会\r\n", pool=lead_pool.pk)
    lead.refresh_from_db()
    assert (lead.source, lead.score) == ("展会", 0)
