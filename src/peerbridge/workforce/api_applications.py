"""API for the workforce's applications (mounted by workforce/api.py)."""

from ninja import Router

router = Router(tags=["workforce"])
