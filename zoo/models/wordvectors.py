"""Skip-gram word vectors (ch. 8): an embedding table with its vocabulary and the usual queries.

    wv = zoo.load("skipgram_dictcorpus")
    wv.most_similar("king", 5); wv.similarity("cat", "dog"); wv.analogy("man", "king", "woman")
    wv.save_word2vec_format("vectors.txt")   # gensim: KeyedVectors.load_word2vec_format("vectors.txt")

The vocabulary travels beside the weights as vocab.json (words by descending corpus count, with counts).
"""
from __future__ import annotations

import difflib
import json
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..registry import register_model


class UnknownWordError(KeyError):
    def __str__(self):
        return str(self.args[0])


class WordVectors(nn.Module):
    """The input vectors of a skip-gram model, one row per vocabulary word; `forward(ids)` looks them up."""

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.words: list[str] = []
        self.counts: list[int] = []
        self._index: dict[str, int] = {}

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids)

    # vocabulary ---------------------------------------------------------------------------------
    def set_vocabulary(self, words: list[str], counts: list[int] | None = None) -> None:
        if len(words) != self.embedding.num_embeddings:
            raise ValueError(f"the vocabulary has {len(words)} words but the model has "
                             f"{self.embedding.num_embeddings} vectors")
        self.words, self.counts = list(words), list(counts or [0] * len(words))
        self._index = {w: i for i, w in enumerate(self.words)}

    def state_files(self) -> dict[str, bytes]:
        """Files that belong with the weights (written to the Hub repo, verified on load)."""
        return {"vocab.json": json.dumps({"words": self.words, "counts": self.counts}).encode()}

    def load_state_files(self, files: dict[str, bytes]) -> None:
        vocab = json.loads(files["vocab.json"])
        self.set_vocabulary(vocab["words"], vocab["counts"])

    def index(self, word: str) -> int:
        if not isinstance(word, str):
            raise TypeError(f"a word must be a string, got {word!r}")
        if not self._index:
            raise RuntimeError("this model has no vocabulary yet: load pretrained weights or call set_vocabulary")
        try:
            return self._index[word]
        except KeyError:
            close = difflib.get_close_matches(word, self.words[:20000], n=3)
            hint = f"; close matches: {', '.join(close)}" if close else ""
            raise UnknownWordError(f"{word!r} is not in the vocabulary of {len(self.words):,} words "
                                   f"(the lowercase words of the training corpus that are not rare){hint}") from None

    def __contains__(self, word: str) -> bool:
        return word in self._index

    # queries --------------------------------------------------------------------------------------
    @torch.no_grad()
    def vector(self, word: str) -> torch.Tensor:
        return self.embedding.weight[self.index(word)].clone()

    @torch.no_grad()
    def unit_vectors(self) -> torch.Tensor:
        return F.normalize(self.embedding.weight.float(), dim=1)

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return F.cosine_similarity(self.vector(a), self.vector(b), dim=0).item()

    def most_similar(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The `k` words closest to `word` by cosine similarity, with their similarities."""
        _check_k(k)
        i = self.index(word)
        return self._nearest(self.unit_vectors()[i], k, exclude=[i])

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """`a` is to `b` as `c` is to ...? The words nearest to b - a + c (unit vectors), a, b and c excluded."""
        _check_k(k)
        ids = [self.index(w) for w in (a, b, c)]
        unit = self.unit_vectors()
        return self._nearest(unit[ids[1]] - unit[ids[0]] + unit[ids[2]], k, exclude=ids)

    @torch.no_grad()
    def _nearest(self, query: torch.Tensor, k: int, exclude: list[int]) -> list[tuple[str, float]]:
        sims = self.unit_vectors() @ F.normalize(query, dim=0)
        sims[exclude] = float("-inf")
        top = sims.topk(min(k, len(sims) - len(exclude)))
        return [(self.words[i], round(s, 6)) for s, i in zip(top.values.tolist(), top.indices.tolist())]

    def save_word2vec_format(self, path) -> None:
        """Write the vectors in word2vec's text format ("count dim" then "word v1 v2 ..." per line)."""
        from ..files import write_atomic

        self.index(self.words[0] if self.words else "")  # a clear error when there is no vocabulary
        rows = self.embedding.weight.detach().float().tolist()
        lines = [f"{len(rows)} {self.embedding.embedding_dim}"]
        lines += [w + " " + " ".join(f"{x:.6g}" for x in row) for w, row in zip(self.words, rows)]
        write_atomic(Path(path), ("\n".join(lines) + "\n").encode())


def _check_k(k) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k is how many words to return, a whole number of at least 1; got {k!r}")


@register_model(task="word-embeddings", dataset="dictcorpus", chapter=8, capabilities=("similar",))
def skipgram_dictcorpus(vocab_size: int = 48072, dim: int = 128):
    """Skip-gram word vectors with negative sampling, trained on the 6M-word dictionary corpus."""
    return WordVectors(vocab_size, dim)
