"""Reads of the reviewer side: the queues, the review page, the dashboard, the audit trail.

One module per page or concern; callers use the names re-exported here
(`from approvals import selectors`; `selectors.review_queue(...)`).

- `deadlines`: the review SLA on the calendar (holidays, cutoffs, expected decision).
- `queues`: queue filters, search, one page of rows, capped counts, a review task.
- `review`: the review page (the request behind a task, related requests, reasons).
- `changes`: what the applicant changed since the version before.
- `dashboard`: the supervisor dashboard (states, ageing, decisions per day).
- `oversight`: failed automatic steps and the audit trail.
- `staff`: the role groups, reviewers and supervisors.
"""

from approvals.selectors.changes import (
    Answered,
    FieldChange,
    RequestChanges,
    request_changes,
)
from approvals.selectors.dashboard import (
    AGEING_BUCKETS,
    DECISION_STATUSES,
    Dashboard,
    dashboard,
)
from approvals.selectors.oversight import FailedJob, audit_events, failed_jobs
from approvals.selectors.queues import (
    COUNT_CAP,
    QUEUE_PAGE_SIZE,
    QUEUES,
    REQUEST,
    REQUEST_SORTS,
    SORTS,
    TRACKING_NUMBER,
    QueueFilters,
    QueuePage,
    QueueRow,
    bounded_count,
    is_company_decided,
    review_queue,
    review_task,
)
from approvals.selectors.review import (
    CertificatePanel,
    FindingRow,
    Related,
    certificate_panels,
    process_of_task,
    rejection_reasons,
    related_to_request,
)
from approvals.selectors.staff import (
    STAFF_GROUPS,
    StaffMember,
    reviewers,
    staff_members,
)
from workflow.deadlines import expected_decision, sla_cutoffs, sla_holidays

__all__ = [
    "AGEING_BUCKETS",
    "COUNT_CAP",
    "DECISION_STATUSES",
    "QUEUES",
    "QUEUE_PAGE_SIZE",
    "REQUEST",
    "REQUEST_SORTS",
    "SORTS",
    "STAFF_GROUPS",
    "TRACKING_NUMBER",
    "Answered",
    "CertificatePanel",
    "Dashboard",
    "FailedJob",
    "FieldChange",
    "FindingRow",
    "QueueFilters",
    "QueuePage",
    "QueueRow",
    "Related",
    "RequestChanges",
    "StaffMember",
    "audit_events",
    "bounded_count",
    "certificate_panels",
    "dashboard",
    "expected_decision",
    "failed_jobs",
    "is_company_decided",
    "process_of_task",
    "rejection_reasons",
    "related_to_request",
    "request_changes",
    "review_queue",
    "review_task",
    "reviewers",
    "sla_cutoffs",
    "sla_holidays",
    "staff_members",
]
