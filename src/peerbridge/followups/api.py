"""API for playbooks, work items and match check-ins."""

from ninja import Router

router = Router(tags=["follow-ups"])
