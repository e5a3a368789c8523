"""The audit log: written on reads of people, append-only in the database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from peerbridge.core.audit import Action, audit
from peerbridge.core.models import AuditEvent
from tests.conftest import World, client_for


def test_reading_a_programme_staff_list_writes_audit_rows(world: World) -> None:
    response = client_for("coordinator").get(f"/programmes/{world.programme_a.pk}/staff/")
    assert response.status_code == 200
    rows = AuditEvent.objects.filter(
        action=Action.READ, object_type="core.user", request_id=response["X-Request-ID"]
    )
    shown = {a.user_id for a in response.context["staff"]}
    assert shown and shown <= {int(row.object_id) for row in rows}
    assert all(
        row.actor is not None and row.actor.email.startswith("coordinator.a") for row in rows
    )


def test_the_api_staff_list_is_audited_too(world: World) -> None:
    before = AuditEvent.objects.filter(action=Action.READ).count()
    response = client_for("leader").get(f"/api/v1/programmes/{world.programme_a.pk}/staff")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=Action.READ).count() == before + len(response.json())


def test_audit_rows_carry_no_personal_values(world: World) -> None:
    client_for("coordinator").get(f"/programmes/{world.programme_a.pk}/staff/")
    for row in AuditEvent.objects.all():
        values = [row.object_type, row.object_id, row.route, row.request_id]
        assert not any("@" in value for value in values)


def test_an_update_of_an_audit_row_is_refused_by_the_database(db: None) -> None:
    event = audit(actor=None, action=Action.READ, object_type="test", object_id=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditevent SET action = 'delete' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.action == Action.READ


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DELETE is refused on PostgreSQL")
def test_a_delete_of_an_audit_row_is_refused_on_postgresql(db: None) -> None:
    event = audit(actor=None, action=Action.READ, object_type="test", object_id=2)
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_orm_cannot_edit_the_log_either(db: None) -> None:
    event = audit(actor=None, action=Action.READ, object_type="test", object_id=3)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_id="4")


def test_the_audit_page_searches_by_record(world: World) -> None:
    client_for("coordinator").get(f"/programmes/{world.programme_a.pk}/staff/")
    response = client_for("admin").get("/audit/", {"action": "read", "object_type": "core.user"})
    assert response.status_code == 200
    assert all(e.action == "read" for e in response.context["page"])
    assert len(response.context["page"]) > 0


def test_the_audit_page_reports_bad_filters_without_failing(db: None) -> None:
    response = client_for("admin").get("/audit/", {"since": "not-a-date", "actor": "x"})
    assert response.status_code == 400
    assert "since" in response.context["form"].errors
