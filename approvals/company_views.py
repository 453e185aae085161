"""Administración de empleado / de usuarios de la entidad: an organisation representative's
pages (Mi página > Administración)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from approvals import company
from approvals.company_forms import (
    EmployeeDecisionForm,
    OfficialDecisionForm,
    RevokeForm,
    decision_form_class,
    grants_form_class,
)
from approvals.selectors.review import certificate_panels
from registration import services as registration_services
from registration.kinds import declaration_for, field_value
from registration.models import RegistrationRequest, ServiceOption, User
from registration.ratelimit import client_address
from registration.selectors import user_represented_companies


def representative_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login, and an active Representante of some company; anyone else gets a 403 that says why."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        if not user_represented_companies(user=user).exists():
            return render(request, "approvals/empleados/solo_representantes.html", status=403)
        return view(request, user, *args, **kwargs)

    return wrapper


def _sent(request_obj: RegistrationRequest) -> list[tuple[str, Any]]:
    """What the member sent, with its kind's labels."""
    return [
        (label, field_value(request_obj, name))
        for name, label in declaration_for(request_obj.kind).snapshot_fields
        if name != "firma_reto"
    ]


@never_cache
@require_GET
@representative_required
def pending(request: HttpRequest, user: User) -> HttpResponse:
    return render(
        request,
        "approvals/empleados/pending.html",
        {
            "tasks": [
                (t, company.task_request(t)) for t in company.pending_employee_tasks(user=user)
            ],
            "companies": list(user_represented_companies(user=user)),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@representative_required
def decide(request: HttpRequest, user: User, task_pk: int) -> HttpResponse:
    task = company.employee_task(task_pk=task_pk, user=user)
    if task is None:
        raise Http404("Solicitud no encontrada")
    request_obj = company.task_request(task)
    form_class = decision_form_class(request_obj)
    if request.method == "GET":
        return _render_decide(request, task, request_obj, form_class(request_obj=request_obj))
    form = form_class(request.POST, request_obj=request_obj)
    if not form.is_valid() or not form.cleaned_data.get("confirm"):
        # The first step shows what will be decided; errors show the form again.
        return _render_decide(
            request, task, request_obj, form, status=200 if form.is_valid() else 400
        )
    try:
        company.employee_decide(
            task_pk=task.pk,
            actor=user,
            decision=company.Decision(form.cleaned_data["decision"]),
            grants=form.grants(),
            comment=form.cleaned_data["comment"],
            observed_items=form.cleaned_data["observed_items"],
            source_ip=client_address(request),
        )
    except company.CompanyDecisionError as exc:
        messages.error(request, str(exc))
        return redirect("empleados:pending")
    messages.success(
        request, f"Decisión registrada para la solicitud {request_obj.tracking_number}."
    )
    return redirect("empleados:pending")


def _render_decide(
    request: HttpRequest,
    task: Any,
    request_obj: RegistrationRequest,
    form: EmployeeDecisionForm | OfficialDecisionForm,
    status: int = 200,
) -> HttpResponse:
    confirming = form.is_bound and form.is_valid()
    confirm_fields: list[tuple[str, str]] = []
    grants_shown: list[tuple[str, list[str]]] = []
    if confirming:
        d = form.cleaned_data
        confirm_fields = [("decision", d["decision"]), ("comment", d["comment"])]
        confirm_fields += [("observed_items", item) for item in d["observed_items"]]
        option_names = dict(ServiceOption.objects.values_list("code", "name"))
        for grant in form.grants() if d["decision"] == company.Decision.APPROVE else ():
            confirm_fields.append(("codes", grant.code))
            confirm_fields += [(f"opciones-{grant.code}", o) for o in grant.option_codes]
            grants_shown.append((grant.code, [option_names.get(o, o) for o in grant.option_codes]))
    return render(
        request,
        "approvals/empleados/decide.html",
        {
            "task": task,
            "req": request_obj,
            "sent": _sent(request_obj),
            "certificate_panels": certificate_panels(request=request_obj),
            "form": form,
            "oce_formset": None,
            "confirming": confirming,
            "decision_label": dict(form.fields["decision"].choices).get(  # type: ignore[attr-defined]
                form.cleaned_data.get("decision") if confirming else None, ""
            ),
            "confirm_fields": confirm_fields,
            "grants_shown": grants_shown,
            "chosen_codes": request.POST.getlist("codes") if form.is_bound else [],
        },
        status=status,
    )


@never_cache
@require_GET
@representative_required
def employees(request: HttpRequest, user: User) -> HttpResponse:
    return render(
        request,
        "approvals/empleados/employees.html",
        {"employees": company.company_employees(user=user)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@representative_required
def employee(request: HttpRequest, user: User, request_pk: int) -> HttpResponse:
    request_obj = company.company_employee(request_pk=request_pk, user=user)
    if request_obj is None:
        raise Http404("Empleado no encontrado")
    employment = request_obj.employment
    grants_class = grants_form_class(request_obj)
    current = {g.code: [o.code for o in g.options.all()] for g in employment.grants.all()}
    current.update({p.code: [] for p in employment.procedures.all()})
    initial = {"codes": list(current), **{f"opciones-{c}": o for c, o in current.items()}}
    grants_form = grants_class(initial=initial, request_obj=request_obj)
    revoke_form = RevokeForm()
    status = 200
    if request.method == "POST" and not employment.revoked:
        action = request.POST.get("accion")
        try:
            if action == "codigos":
                grants_form = grants_class(request.POST, request_obj=request_obj)
                if grants_form.is_valid():
                    registration_services.employee_grants_change(
                        request_id=request_obj.pk,
                        actor=user,
                        grants=grants_form.grants(),
                        source_ip=client_address(request),
                    )
                    messages.success(request, "Permisos guardados.")
                    return redirect("empleados:employee", request_pk=request_obj.pk)
                status = 400
            elif action == "revocar":
                revoke_form = RevokeForm(request.POST)
                if revoke_form.is_valid() and revoke_form.cleaned_data["confirm"]:
                    registration_services.employee_revoke(
                        request_id=request_obj.pk,
                        actor=user,
                        reason=revoke_form.cleaned_data["reason"],
                        source_ip=client_address(request),
                    )
                    messages.success(request, f"Usuario {request_obj.id_usuario} revocado.")
                    return redirect("empleados:employees")
                status = 200 if revoke_form.is_valid() else 400
        except (
            registration_services.EmployeeDecisionError,
            registration_services.TransitionNotAllowed,
        ) as exc:
            messages.error(request, str(exc))
            status = 400
    return render(
        request,
        "approvals/empleados/employee.html",
        {
            "req": request_obj,
            "employment": employment,
            "grants_form": grants_form,
            "revoke_form": revoke_form,
            "oce_formset": None,
            "confirm_revoke": revoke_form.is_bound and revoke_form.is_valid(),
            "organisation": declaration_for(request_obj.kind).organisation,
        },
        status=status,
    )
