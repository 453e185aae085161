"""RegistrationProcess, moved here from approvals without touching its table.

The model's content type (and with it the review and manage permissions that
groups hold) is relabelled, and the flow and task references viewflow stored as
text ("approvals/flows.RepresentanteFlow…"), and the permission open review
tasks ask for, are rewritten to the new names, so processes under way go on
where they were.
"""

import django.db.models.deletion
from django.db import migrations, models

OLD_FLOW = "approvals/flows.RepresentanteFlow"
NEW_FLOW = "workflow/flows.representante.RepresentanteFlow"
OLD_PERMISSION = "approvals.review_registration"
NEW_PERMISSION = "workflow.review_registration"


def _rewrite(schema_editor, old: str, new: str) -> None:
    # Raw SQL: the reference fields would import the old module to read a row.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE viewflow_process SET flow_class = %s WHERE flow_class = %s", [new, old]
        )
        cursor.execute(
            "UPDATE viewflow_task SET flow_task = %s || SUBSTR(flow_task, %s) "
            "WHERE flow_task LIKE %s",
            [new, len(old) + 1, old + ".%"],
        )


def _rewrite_permission(schema_editor, old: str, new: str) -> None:
    # Human tasks keep the permission a person needs to take them.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE viewflow_task SET owner_permission = %s WHERE owner_permission = %s",
            [new, old],
        )


def _relabel(apps, old: str, new: str) -> None:
    """Move the model's content type to the ``new`` app label, permissions and all."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old_type = ContentType.objects.filter(app_label=old, model="registrationprocess").first()
    if old_type is None:
        return
    new_type = ContentType.objects.filter(app_label=new, model="registrationprocess").first()
    if new_type is None:
        old_type.app_label = new
        old_type.save(update_fields=["app_label"])
        return
    # Both exist (content types made before this ran): groups and users keep what they held.
    for permission in Permission.objects.filter(content_type=old_type):
        target, _ = Permission.objects.get_or_create(
            content_type=new_type, codename=permission.codename, defaults={"name": permission.name}
        )
        target.group_set.add(*permission.group_set.all())
        target.user_set.add(*permission.user_set.all())
        permission.delete()
    old_type.delete()


def forward(apps, schema_editor):
    _relabel(apps, "approvals", "workflow")
    _rewrite(schema_editor, OLD_FLOW, NEW_FLOW)
    _rewrite_permission(schema_editor, OLD_PERMISSION, NEW_PERMISSION)


def backward(apps, schema_editor):
    _relabel(apps, "workflow", "approvals")
    _rewrite(schema_editor, NEW_FLOW, OLD_FLOW)
    _rewrite_permission(schema_editor, NEW_PERMISSION, OLD_PERMISSION)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("approvals", "0006_move_process_to_workflow"),
        ("registration", "0014_otp_staff_enroll_code"),
        ("viewflow", "0015_task_scheduled"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RegistrationProcess",
                    fields=[
                        (
                            "process_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to="viewflow.process",
                            ),
                        ),
                        (
                            "request",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="process",
                                to="registration.registrationrequest",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "approvals_registrationprocess",
                        "verbose_name": "proceso de solicitud",
                        "verbose_name_plural": "procesos de solicitud",
                        "permissions": [
                            ("review_registration", "Puede revisar y decidir solicitudes del uso")
                        ],
                    },
                    bases=("viewflow.process",),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forward, backward),
    ]
