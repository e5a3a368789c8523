"""The demo's population, as data: whom each demo programme serves (how many, with
which conditions, of what age), the languages people speak, the towns they live in,
and the words staff and peers use. demo_people and demo_intake draw people from these."""

from __future__ import annotations

from dataclasses import dataclass

from peerbridge.people.models import LivedExperience
from peerbridge.referrals.models import ContactAttempt, DeclineReason, EnrolmentStatus

SEED = 2026
S = EnrolmentStatus
Rel = LivedExperience.Relationship
Since = LivedExperience.SinceKind


@dataclass(frozen=True)
class Cohort:
    """Whom a programme serves: how many, with what (lineages in the taxonomy, with
    weights: the small weights are the rare sub-conditions), how old, and who cares for
    whom."""

    participants: int
    peers: int
    conditions: tuple[tuple[str, int], ...]
    ages: tuple[int, int]
    women: float = 0.5
    caregivers: float = 0.0
    relationships: tuple[tuple[str, int], ...] = ((Rel.PARENT, 1),)
    since_kind: str = Since.DIAGNOSIS
    since_days: tuple[int, int] = (30, 900)


COHORTS: dict[str, Cohort] = {
    "a": Cohort(
        participants=50,
        peers=12,
        conditions=(
            ("Substance use > Alcohol", 50),
            ("Substance use > Opioids", 35),
            ("Substance use > Stimulants", 15),
        ),
        ages=(19, 68),
        women=0.35,
        since_kind=Since.EVENT,
        since_days=(14, 700),
    ),
    "b": Cohort(
        participants=45,
        peers=12,
        conditions=(
            ("Mental illness > Depression", 35),
            ("Mental illness > Anxiety", 25),
            ("Mental illness > Bipolar disorder", 20),
            ("Mental illness > Psychosis", 12),
            ("Mental illness", 8),
        ),
        ages=(18, 78),
        women=0.6,
        caregivers=0.4,
        relationships=((Rel.PARENT, 40), (Rel.PARTNER, 30), (Rel.CHILD, 15), (Rel.SIBLING, 15)),
        since_days=(60, 3000),
    ),
    "c": Cohort(
        participants=30,
        peers=8,
        conditions=(
            ("Perinatal", 55),
            ("Perinatal > Postnatal depression", 25),
            ("Perinatal > Premature birth", 20),
        ),
        ages=(18, 44),
        women=1.0,
        since_kind=Since.EVENT,
        since_days=(3, 150),
    ),
    "d": Cohort(
        participants=40,
        peers=10,
        conditions=(
            ("Child disability > Autism", 28),
            ("Child disability > Cognitive delay", 24),
            ("Child disability > Cerebral palsy", 18),
            ("Child disability > Rare genetic condition", 8),
            ("Child disability > G-tube", 4),
        ),
        ages=(21, 62),
        women=0.75,
        caregivers=1.0,
        relationships=((Rel.PARENT, 85), (Rel.OTHER_FAMILY, 10), (Rel.FRIEND, 5)),
        since_days=(30, 2500),
    ),
    "e": Cohort(
        participants=40,
        peers=10,
        conditions=(
            ("Transplant > Liver", 30),
            ("Transplant > Heart", 18),
            ("Transplant > Kidney", 14),
            ("Transplant > Lung", 4),
            ("Cystic fibrosis", 4),
            ("Gynaecological cancer > Ovarian cancer", 9),
            ("Gynaecological cancer > Uterine cancer", 8),
            ("Breast cancer > Mastectomy", 6),
        ),
        ages=(22, 78),
        caregivers=0.25,
        relationships=((Rel.PARTNER, 55), (Rel.PARENT, 20), (Rel.CHILD, 25)),
        since_kind=Since.DISCHARGE,
        since_days=(14, 1200),
    ),
    "f": Cohort(
        participants=35,
        peers=10,
        conditions=(
            ("Breast cancer > Mastectomy > With reconstruction", 22),
            ("Breast cancer > Mastectomy > Without reconstruction", 18),
            ("Breast cancer > Lumpectomy", 30),
            ("Breast cancer", 8),
            ("Gynaecological cancer > Ovarian cancer", 8),
            ("Prostate cancer", 6),
        ),
        ages=(28, 85),
        women=0.9,
        caregivers=0.2,
        relationships=((Rel.PARTNER, 50), (Rel.CHILD, 35), (Rel.SIBLING, 15)),
        since_days=(7, 400),
    ),
    "g": Cohort(
        participants=25,
        peers=8,
        conditions=(
            ("Obesity and weight", 60),
            ("Obesity and weight > Bariatric surgery > Gastric sleeve", 15),
            ("Obesity and weight > Bariatric surgery > Gastric bypass", 10),
            ("Diabetes > Type 2", 15),
        ),
        ages=(21, 72),
        women=0.65,
        since_days=(60, 3000),
    ),
    "h": Cohort(
        participants=35,
        peers=10,
        conditions=(("HIV > Newly diagnosed", 55), ("HIV > Long-term", 45)),
        ages=(18, 66),
        women=0.35,
        since_days=(7, 4000),
    ),
}
MEN_ONLY = ("Prostate cancer",)
WOMEN_ONLY = ("Gynaecological cancer", "Perinatal")

CLINICIAN_LETTERS = frozenset({"c", "f"})  # the programmes at the referrer's hospital
STATUS_WEIGHTS: dict[str, int] = {
    S.REFERRED: 8,
    S.CONTACTED: 6,
    S.ENROLLED: 3,
    S.WAITING: 14,
    S.MATCHED: 5,
    S.ACTIVE: 24,
    S.COMPLETED: 14,
    S.WITHDRAWN: 8,
    S.DECLINED: 6,
    S.UNREACHABLE: 6,
}
RECEIVED_DAYS_AGO: dict[str, tuple[int, int]] = {
    S.REFERRED: (0, 14),
    S.CONTACTED: (2, 35),
    S.ENROLLED: (3, 40),
    S.UNREACHABLE: (12, 90),
    S.DECLINED: (5, 120),
    S.WAITING: (5, 120),
    S.MATCHED: (8, 120),
    S.ACTIVE: (14, 120),
    S.COMPLETED: (60, 120),
    S.WITHDRAWN: (5, 120),
}
# Preferred language: weight and Faker locales. English speakers are about 70%.
LANGUAGES: dict[str, tuple[int, tuple[str, ...]]] = {
    "en": (70, ("en_GB", "en_GB", "en_US")),
    "es": (10, ("es_ES", "es_MX", "es_MX")),
    "pt": (5, ("pt_BR",)),
    "pl": (4, ("pl_PL",)),
    "zh": (4, ("zh_CN",)),
    "ar": (4, ("ar_AA",)),
    "fr": (3, ("fr_FR",)),
}
# People's phones: North American 555-0100 to 0199 numbers, reserved for fiction. The
# Ofcom 07700 900xxx range is left to the tests, whose hard-coded numbers would
# otherwise meet demo people in duplicate detection.
PHONE_AREAS = (206, 212, 305, 312, 404, 415, 503, 602, 617, 713, 720, 786)
SECOND_LANGUAGES = ("es", "pl", "pa", "ur", "so", "cy")
BACKGROUNDS = {
    "es": "Latin American",
    "pt": "Brazilian",
    "pl": "Polish",
    "zh": "Chinese",
    "ar": "Arab",
    "fr": "French",
}
# town: postcode letters, latitude, longitude
TOWNS: dict[str, tuple[str, float, float]] = {
    "Riverside": ("RV", 53.48, -2.24),
    "Lakeside": ("LK", 54.37, -2.91),
    "Harbour City": ("HC", 50.90, -1.40),
}
TOWN_OF_SITE = {
    "riverside": "Riverside",
    "lakeside": "Lakeside",
    "harbour": "Harbour City",
    "st-catherines": "Harbour City",
}
LOCAL_SITES = ("riverside", "lakeside", "harbour")
REGIONAL_SITES = ("university-hospital",)  # serve the whole region
TIMES = ("Weekday mornings", "Afternoons", "After 6pm", "Weekends", "Any time", "")
ACCESS_NEEDS = (
    "Large print, please",
    "Uses a wheelchair",
    "Hard of hearing: prefers text",
    "Would like an interpreter",
    "Dyslexia: prefers a call to a letter",
)
REFERRAL_REASONS = {
    "a": ("Wants support to stay sober after detox.", "Asked for help with cravings and housing."),
    "b": ("Recently discharged; would value a peer course.", "Family asking how to help."),
    "c": ("First baby; low mood on the ward.", "Baby in neonatal care; mother isolated."),
    "d": ("New diagnosis; the family would like to talk to another parent.",),
    "e": ("Listed for transplant and anxious about the wait.", "Back home after surgery."),
    "f": ("Newly diagnosed; surgery booked.", "Deciding about reconstruction."),
    "g": ("Referred by the GP weight clinic.",),
    "h": ("New diagnosis at the clinic.", "Re-engaging in care after a gap."),
}
PEER_STORIES = {
    "a": "Sober {years} years. What helped was someone who had been there, day and night.",
    "b": "Living with this for {years} years; the course gave me the words for it.",
    "c": "My first year as a mother, {years} years ago, was the hardest and the best.",
    "d": "Our child was diagnosed {years} years ago; another parent's call changed a lot.",
    "e": "{years} years since my operation. The waiting was the hardest part.",
    "f": "{years} years since my surgery. I remember the first night and the questions.",
    "g": "I have kept the weight off for {years} years, one week at a time.",
    "h": "Living well with HIV for {years} years. Telling people got easier with support.",
}
FACING_STORIES = (
    "I would like to talk to someone who has been through it.",
    "Not sure what to expect; a call would help.",
    "",
)
WITHDRAWN_REASONS = (
    "Moved out of the area.",
    "Feels they no longer need support.",
    "Started a new job and has no time.",
    "Prefers group meetings only.",
    "In hospital; may come back later.",
)
FAILED_OUTCOMES = {
    ContactAttempt.Outcome.NO_ANSWER: 60,
    ContactAttempt.Outcome.LEFT_MESSAGE: 35,
    ContactAttempt.Outcome.WRONG_NUMBER: 5,
}
DECLINE_REASONS = dict(zip(DeclineReason.values, (25, 40, 15, 10, 10), strict=True))
NEXT_ACTIONS: dict[str, str] = {
    S.REFERRED: "Call to introduce the programme",
    S.CONTACTED: "Book the intake conversation",
    S.UNREACHABLE: "Send a letter with the self-referral link",
}
