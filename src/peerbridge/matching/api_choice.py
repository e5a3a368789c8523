"""API for matching's choice (mounted by matching/api.py)."""

from ninja import Router

router = Router()
