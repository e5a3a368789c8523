"""The matching API: each area mounts its own router."""

from ninja import Router

from peerbridge.matching import api_batch, api_choice, api_lifecycle, api_suggestions

router = Router(tags=["matching"])
router.add_router("", api_lifecycle.router)
router.add_router("", api_suggestions.router)
router.add_router("", api_batch.router)
router.add_router("", api_choice.router)
