"""API for the workforce's supervision (mounted by workforce/api.py)."""

from ninja import Router

router = Router(tags=["workforce"])
