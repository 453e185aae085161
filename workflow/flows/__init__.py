"""One flow per kind of request, and the registry that maps each kind to its flow.

Adding a kind: declare it in registration (its fields, form and rules), write
its flow here from the shared segments (segments.py), and add it to ``FLOWS``.
Pages and jobs find a request's flow through ``flow_for``; the reviewer
workspaces find every flow's review step through ``review_nodes`` (SENAE's) and
``company_review_nodes`` (a company representative's).
"""

from __future__ import annotations

from typing import Any

from viewflow.workflow.base import Flow

from registration.models import RequestKind
from workflow.flows.empleado import EmpleadoFlow
from workflow.flows.entidad import EntidadFlow
from workflow.flows.general import GeneralFlow
from workflow.flows.representante import RepresentanteFlow
from workflow.flows.representante_entidad import RepresentanteEntidadFlow

FLOWS: dict[str, type[Flow]] = {
    RequestKind.REPRESENTANTE: RepresentanteFlow,
    RequestKind.EMPLEADO: EmpleadoFlow,
    RequestKind.GENERAL: GeneralFlow,
    RequestKind.REPRESENTANTE_ENTIDAD: RepresentanteEntidadFlow,
    RequestKind.ENTIDAD: EntidadFlow,
}


def flow_for(kind: str) -> type[Flow]:
    """The flow of requests of this kind; KeyError for a kind not built yet."""
    return FLOWS[kind]


def _nodes_named(name: str) -> list[Any]:
    return [getattr(flow, name) for flow in FLOWS.values() if hasattr(flow, name)]


def review_nodes() -> list[Any]:
    """Every flow's SENAE review step (the reviewer queues read these)."""
    return _nodes_named("review")


def company_review_nodes() -> list[Any]:
    """Every flow's step an organisation's representative decides ("Administración de
    empleado", "Administración de usuarios de la entidad")."""
    return _nodes_named("company_review")


def applicant_nodes(name: str) -> list[Any]:
    """Every flow's node of this name where the process waits for its applicant."""
    return _nodes_named(name)
