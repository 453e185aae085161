"""RegistrationProcess's move to workflow/ keeps processes under way working (issue 12).

A process started before the move is written at approvals 0005 through the
historical models, with the references viewflow stored then; migrating forward
must leave it readable by the current flow and reviewable by the same groups.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from viewflow.workflow.models import Task

from workflow.flows.representante import RepresentanteFlow
from workflow.models import RegistrationProcess

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Registration too: its company block later moved to CompanyDetails (0016).
BEFORE_MOVE = [
    ("approvals", "0005_otp_encrypted_totp_devices"),
    ("workflow", None),
    ("registration", "0014_otp_staff_enroll_code"),
]
OLD_FLOW = "approvals/flows.RepresentanteFlow"
NEW_FLOW = "workflow/flows.representante.RepresentanteFlow"


def _migrate(targets: list[tuple[str, str | None]]) -> Apps:
    """Migrate the test database to `targets`; the historical models there."""
    MigrationExecutor(connection).migrate(targets)
    # The state at the targets, with what they depend on (migrate's own answer misses
    # apps when several apps go back at once).
    nodes = [(app, name) for app, name in targets if name is not None]
    return MigrationLoader(connection).project_state(nodes).apps


def _latest() -> list[tuple[str, str | None]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.fixture
def before_move() -> Iterator[Apps]:
    """The database as it was before the move; at the latest state again afterwards."""
    try:
        yield _migrate(BEFORE_MOVE)
    finally:
        _migrate(_latest())


def _historical(apps: Apps, label: str) -> Any:
    """A model as the migration state has it: not the current class, so left untyped."""
    return apps.get_model(label)


def _process_under_review(apps: Apps) -> dict[str, Any]:
    """A process waiting for SENAE's review, as approvals stored it, and a reviewer group."""
    Province = _historical(apps, "registration.Province")
    Canton = _historical(apps, "registration.Canton")
    SecurityQuestion = _historical(apps, "registration.SecurityQuestion")
    RegistrationRequest = _historical(apps, "registration.RegistrationRequest")
    OldProcess = _historical(apps, "approvals.RegistrationProcess")
    OldTask = _historical(apps, "viewflow.Task")
    ContentType = _historical(apps, "contenttypes.ContentType")
    Permission = _historical(apps, "auth.Permission")
    Group = _historical(apps, "auth.Group")

    province = Province.objects.create(code="17", name="PICHINCHA")
    canton = Canton.objects.create(code="1701", province=province, name="QUITO")
    questions = [
        SecurityQuestion.objects.create(slot=slot, text=f"Pregunta de migración {slot}")
        for slot in (1, 2, 3)
    ]
    request = RegistrationRequest.objects.create(
        tracking_number="MIG-0001",
        kind="representante",
        status="certificate_verified",
        ruc="1790011674001",
        razon_social="IMPORTADORA ANDINA S.A.",
        direccion_empresa="Av. Amazonas N24-03 y Colón, Quito",
        telefono_empresa="022345678",
        id_usuario="jperez01",
        cedula="1714307103",
        nombre_usuario="JUAN CARLOS PEREZ GOMEZ",
        question1=questions[0],
        answer1_hash="x",
        question2=questions[1],
        answer2_hash="x",
        question3=questions[2],
        answer3_hash="x",
        province=province,
        canton=canton,
        direccion="Calle Los Pinos 45",
        telefono1="022345679",
        email="jperez@example.com",
    )
    # Reference fields pass strings through unchanged: these are the stored texts.
    process = OldProcess.objects.create(flow_class=OLD_FLOW, status="NEW", request=request)
    confirm_email = OldTask.objects.create(
        process_id=process.pk,
        flow_task=f"{OLD_FLOW}.confirm_email",
        flow_task_type="HUMAN",
        status="DONE",
    )
    review = OldTask.objects.create(
        process_id=process.pk,
        flow_task=f"{OLD_FLOW}.review",
        flow_task_type="HUMAN",
        status="NEW",
        owner_permission="approvals.review_registration",
    )
    # A database migrated from scratch may already hold this content type.
    content_type, _ = ContentType.objects.get_or_create(
        app_label="approvals", model="registrationprocess"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="review_registration",
        defaults={"name": "Puede revisar y decidir solicitudes del uso"},
    )
    group = Group.objects.create(name="Revisores de la migración")
    group.permissions.add(permission)
    return {
        "request": request.pk,
        "process": process.pk,
        "review": review.pk,
        "confirm_email": confirm_email.pk,
        "group": group.pk,
    }


def _stored(ids: dict[str, Any]) -> dict[str, Any]:
    """What the rows hold, read with SQL so no reference is imported to read them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT flow_class FROM viewflow_process WHERE id = %s", [ids["process"]])
        (flow_class,) = cursor.fetchone()
        cursor.execute(
            "SELECT id, flow_task, owner_permission FROM viewflow_task WHERE id IN (%s, %s)",
            [ids["review"], ids["confirm_email"]],
        )
        tasks = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        cursor.execute(
            "SELECT ct.app_label FROM auth_group_permissions gp "
            "JOIN auth_permission p ON p.id = gp.permission_id "
            "JOIN django_content_type ct ON ct.id = p.content_type_id "
            "WHERE gp.group_id = %s AND p.codename = 'review_registration'",
            [ids["group"]],
        )
        permission_app_labels = [row[0] for row in cursor.fetchall()]
        company_details = []
        if "registration_companydetails" in connection.introspection.table_names(cursor):
            cursor.execute(
                "SELECT direccion_empresa, telefono_empresa FROM registration_companydetails "
                "WHERE request_id = %s",
                [ids["request"]],
            )
            company_details = cursor.fetchall()
    return {
        "flow_class": flow_class,
        "review_task": tasks[ids["review"]][0],
        "review_permission": tasks[ids["review"]][1],
        "confirm_email_task": tasks[ids["confirm_email"]][0],
        "permission_app_labels": permission_app_labels,
        "company_details": [tuple(row) for row in company_details],
    }


def _request_company_columns(request_pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT direccion_empresa, telefono_empresa FROM registration_registrationrequest "
            "WHERE id = %s",
            [request_pk],
        )
        (row,) = cursor.fetchall()
    return (row[0], row[1])


def test_migrating_forward_moves_a_process_under_way_to_the_workflow_flow(
    before_move: Apps,
) -> None:
    ids = _process_under_review(before_move)

    _migrate(_latest())

    assert _stored(ids) == {
        "flow_class": NEW_FLOW,
        "review_task": f"{NEW_FLOW}.review",
        "review_permission": "workflow.review_registration",
        "confirm_email_task": f"{NEW_FLOW}.confirm_email",
        "permission_app_labels": ["workflow"],
        "company_details": [("Av. Amazonas N24-03 y Colón, Quito", "022345678")],
    }
    process = RegistrationProcess.objects.get(pk=ids["process"])
    assert process.flow_class is RepresentanteFlow
    assert Task.objects.get(pk=ids["review"]).flow_task == RepresentanteFlow.review
    assert Task.objects.get(pk=ids["confirm_email"]).flow_task == RepresentanteFlow.confirm_email


def test_migrating_back_restores_the_approvals_references(before_move: Apps) -> None:
    ids = _process_under_review(before_move)
    _migrate(_latest())

    _migrate(BEFORE_MOVE)

    assert _stored(ids) == {
        "flow_class": OLD_FLOW,
        "review_task": f"{OLD_FLOW}.review",
        "review_permission": "approvals.review_registration",
        "confirm_email_task": f"{OLD_FLOW}.confirm_email",
        "permission_app_labels": ["approvals"],
        "company_details": [],
    }
    assert _request_company_columns(ids["request"]) == (
        "Av. Amazonas N24-03 y Colón, Quito",
        "022345678",
    )


def test_groups_keep_the_review_permission_when_both_content_types_exist(
    before_move: Apps,
) -> None:
    ids = _process_under_review(before_move)
    # Content types made before the migration ran (a flush, or created by hand).
    ContentType = _historical(before_move, "contenttypes.ContentType")
    ContentType.objects.get_or_create(app_label="workflow", model="registrationprocess")

    _migrate(_latest())

    assert _stored(ids)["permission_app_labels"] == ["workflow"]
    assert not ContentType.objects.filter(
        app_label="approvals", model="registrationprocess"
    ).exists()
