"""API for the workforce's training (mounted by workforce/api.py)."""

from ninja import Router

router = Router(tags=["workforce"])
