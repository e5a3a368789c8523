"""The workforce API: profiles, eligibility and capacity here; each area mounts its own
router."""

from ninja import Router

from peerbridge.workforce import api_applications, api_supervision, api_training, api_wellbeing
from peerbridge.workforce.api_profiles import router as profiles_router

router = Router(tags=["workforce"])
router.add_router("", profiles_router)
router.add_router("", api_applications.router)
router.add_router("", api_training.router)
router.add_router("", api_supervision.router)
router.add_router("", api_wellbeing.router)
