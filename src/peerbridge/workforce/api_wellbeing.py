"""API for the workforce's wellbeing (mounted by workforce/api.py)."""

from ninja import Router

router = Router(tags=["workforce"])
