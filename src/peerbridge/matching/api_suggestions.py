"""API for matching's suggestions (mounted by matching/api.py)."""

from ninja import Router

router = Router()
