"""API for matching's lifecycle (mounted by matching/api.py)."""

from ninja import Router

router = Router()
