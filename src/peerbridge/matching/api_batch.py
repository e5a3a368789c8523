"""API for matching's batch (mounted by matching/api.py)."""

from ninja import Router

router = Router()
