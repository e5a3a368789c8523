"""Questionnaire definitions (versioned data files) and their scoring. Pure Python: no
Django, so the definitions and scores can be checked, golden-tested and reused anywhere.

    >>> from peerbridge.instruments import get_instrument, score
    >>> cbi = get_instrument("cbi")
    >>> result = score(cbi, {"w1": 4, ...})
"""

from peerbridge.instruments.model import Band, Instrument, Item, Option, Scale
from peerbridge.instruments.registry import get_instrument, instrument_codes
from peerbridge.instruments.scoring import IncompleteAnswers, ScaleScore, Score, score

__all__ = [
    "Band",
    "IncompleteAnswers",
    "Instrument",
    "Item",
    "Option",
    "Scale",
    "ScaleScore",
    "Score",
    "get_instrument",
    "instrument_codes",
    "score",
]
