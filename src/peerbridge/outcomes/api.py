"""The outcomes API: each area mounts its own router."""

from ninja import Router

from peerbridge.outcomes import api_measures, api_questionnaires

router = Router(tags=["outcomes"])
router.add_router("", api_questionnaires.router)
router.add_router("", api_measures.router)
