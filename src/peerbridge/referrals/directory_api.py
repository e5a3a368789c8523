"""API: directory."""

from ninja import Router

router = Router(tags=["directory"])
