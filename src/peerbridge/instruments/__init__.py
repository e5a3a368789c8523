"""Questionnaire definitions (versioned data files) and their scoring. Pure Python: no
Django, so the definitions and scores can be checked, golden-tested and reused anywhere.

    >>> from peerbridge.instruments import get_instrument, score
    >>> cbi = get_instrument("cbi")
    >>> result = score(cbi, {"w1": 4, ...})
"""

from peerbridge.instruments.change import (
    IndividualChange,
    NoChangeCriteria,
    classify_change,
    reliable_change_index,
)
from peerbridge.instruments.model import Band, ChangeCriteria, Instrument, Item, Option, Scale
from peerbridge.instruments.registry import get_instrument, instrument_codes
from peerbridge.instruments.scoring import IncompleteAnswers, ScaleScore, Score, score

__all__ = [
    "Band",
    "ChangeCriteria",
    "IncompleteAnswers",
    "IndividualChange",
    "Instrument",
    "Item",
    "NoChangeCriteria",
    "Option",
    "Scale",
    "ScaleScore",
    "Score",
    "classify_change",
    "get_instrument",
    "instrument_codes",
    "reliable_change_index",
    "score",
]
