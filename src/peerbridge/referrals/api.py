"""API: referrals, enrolments, consent and the intake queue."""

from ninja import Router

router = Router(tags=["referrals"])
