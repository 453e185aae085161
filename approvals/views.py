"""Reviewer pages: the queue, the review page and its decision, failed jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from approvals import selectors, services
from approvals.forms import DecisionForm
from registration import selectors as registration_selectors

REVIEW_PERMISSION = "approvals.review_registration"
MANAGE_PERMISSION = "approvals.manage_registrationprocess"


def _requires(
    permission: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Anonymous users go to the login page; logged-in users without `permission` get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorator


reviewer_required = _requires(REVIEW_PERMISSION)
supervisor_required = _requires(MANAGE_PERMISSION)


@reviewer_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    unassigned = Paginator(selectors.review_queue_unassigned(), selectors.QUEUE_PAGE_SIZE)
    page = unassigned.get_page(request.GET.get("pagina"))
    return render(
        request,
        "approvals/queue.html",
        {
            "page": page,
            "mine": selectors.review_queue_mine(user=request.user),  # type: ignore[arg-type]
            "can_manage": request.user.has_perm(MANAGE_PERMISSION),
        },
    )


def _task_or_404(task_pk: int) -> Any:
    task = selectors.review_task(task_pk=task_pk)
    if task is None:
        raise Http404("Tarea no encontrada")
    return task


@reviewer_required
@require_GET
def review_detail(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _render_review(request, task_pk, DecisionForm())


def _render_review(
    request: HttpRequest, task_pk: int, form: DecisionForm, status: int = 200
) -> HttpResponse:
    task = _task_or_404(task_pk)
    process = selectors.process_of_task(task)
    req = process.request
    return render(
        request,
        "approvals/review.html",
        {
            "task": task,
            "req": req,
            "events": registration_selectors.request_events(request=req),
            "reasons": registration_selectors.request_verification_reasons(request=req),
            "form": form,
            "is_mine": task.owner_id == request.user.pk,
            "confirming": form.is_bound
            and not form.errors
            and not form.cleaned_data.get("confirm"),
        },
        status=status,
    )


@reviewer_required
@require_POST
def review_take(request: HttpRequest, task_pk: int) -> HttpResponse:
    try:
        services.review_take(task_pk=task_pk, actor=request.user)  # type: ignore[arg-type]
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("approvals:queue")
    return redirect("approvals:review", task_pk=task_pk)


@reviewer_required
@require_POST
def review_release(request: HttpRequest, task_pk: int) -> HttpResponse:
    try:
        services.review_release(task_pk=task_pk, actor=request.user)  # type: ignore[arg-type]
    except services.ReviewError as exc:
        messages.error(request, str(exc))
    return redirect("approvals:queue")


@reviewer_required
@require_POST
def review_decide(request: HttpRequest, task_pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid() or not form.cleaned_data.get("confirm"):
        # First step renders the confirmation; errors re-render the form.
        return _render_review(request, task_pk, form, status=200 if form.is_valid() else 400)
    try:
        services.review_decide(
            task_pk=task_pk,
            actor=request.user,  # type: ignore[arg-type]
            decision=services.Decision(form.cleaned_data["decision"]),
            comment=form.cleaned_data["comment"],
        )
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("approvals:queue")
    messages.success(request, "Decisión registrada.")
    return redirect("approvals:queue")


@supervisor_required
@require_GET
def failed_jobs(request: HttpRequest) -> HttpResponse:
    return render(request, "approvals/failed_jobs.html", {"jobs": selectors.failed_jobs()})


@supervisor_required
@require_POST
def job_retry(request: HttpRequest, task_pk: int) -> HttpResponse:
    try:
        services.flow_job_retry(task_pk=task_pk, actor=request.user)  # type: ignore[arg-type]
    except services.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "El trabajo se reintentará.")
    return redirect("approvals:failed_jobs")
