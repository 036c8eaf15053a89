"""Sentiment of short texts with an LSTM (ch. 9): embedding, bidirectional LSTM, pooled over the words,
and a linear classifier.

    model = zoo.load("lstm_sentiment_rt")
    labels, probs = model.predict(["a gorgeous, witty film", "a tedious mess"])
    model.classes[labels[0]], probs[0, 1]     # 'fresh', probability that the review is positive

The tokenizer (lowercase, the regular expression TOKEN_PATTERN) and the vocabulary travel with the
weights as vocab.json. Words outside the vocabulary are read as one unknown-word token.
"""
from __future__ import annotations

import json
import re

import torch
import torch.nn as nn

from ..registry import register_model

TOKEN_PATTERN = r"[a-z0-9]+(?:'[a-z]+)*|[!?]"
PAD, UNKNOWN = 0, 1
MAX_TOKENS = 1000  # far beyond the training snippets (about 19 words); longer texts are refused


def tokenize(text: str, pattern: str = TOKEN_PATTERN) -> list[str]:
    return re.findall(pattern, text.lower())


class LSTMSentiment(nn.Module):
    classes = ("rotten", "fresh")

    def __init__(self, vocab_size: int, embed_dim: int, hidden: int, dropout: float):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden, len(self.classes))  # max and mean over words, both directions
        self.words: list[str] = []
        self.token_pattern = TOKEN_PATTERN
        self._index: dict[str, int] = {}

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits (B, 2) of 0-padded token ids (B, T); each row needs at least one token."""
        return self.classify(self.embedding(ids), ids != self.embedding.padding_idx)

    def classify(self, embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logits (B, 2) of embedded words (B, T, D), where `mask` (B, T) marks the real words; apart from
        `forward` so that training can perturb the embeddings."""
        lengths = mask.sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.dropout(embedded), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=embedded.shape[1])
        mean = out.sum(1) / lengths[:, None]
        peak = out.masked_fill(~mask[..., None], float("-inf")).amax(1)
        return self.classifier(self.dropout(torch.cat([peak, mean], 1)))

    # vocabulary ---------------------------------------------------------------------------------
    def set_vocabulary(self, words: list[str], token_pattern: str = TOKEN_PATTERN) -> None:
        """`words[0]` and `words[1]` are the padding and unknown-word tokens."""
        if len(words) != self.embedding.num_embeddings:
            raise ValueError(f"the vocabulary has {len(words)} words but the model has "
                             f"{self.embedding.num_embeddings} embeddings")
        self.words, self.token_pattern = list(words), token_pattern
        self._index = {w: i for i, w in enumerate(self.words)}

    def state_files(self) -> dict[str, bytes]:
        """Files that belong with the weights (written to the Hub repo, verified on load)."""
        vocab = {"lowercase": True, "token_pattern": self.token_pattern, "pad": PAD, "unknown": UNKNOWN,
                 "words": self.words}
        return {"vocab.json": json.dumps(vocab).encode()}

    def load_state_files(self, files: dict[str, bytes]) -> None:
        vocab = json.loads(files["vocab.json"])
        self.set_vocabulary(vocab["words"], vocab["token_pattern"])

    def encode(self, texts: list[str]) -> torch.Tensor:
        """(B, T) token ids of raw texts, 0-padded, with clear errors for what cannot be read."""
        if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
            raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}; wrap one text in a list")
        if not texts:
            raise ValueError("texts is empty; give at least one text")
        if not self._index:
            raise RuntimeError("this model has no vocabulary yet: load pretrained weights or call set_vocabulary")
        rows = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, not a string")
            tokens = tokenize(text, self.token_pattern)
            if not tokens:
                raise ValueError(f"texts[{i}] ({text[:40]!r}) has no words; the tokenizer reads letters, digits, "
                                 "apostrophes inside words, '!' and '?'")
            if len(tokens) > MAX_TOKENS:
                raise ValueError(f"texts[{i}] has {len(tokens):,} tokens; at most {MAX_TOKENS:,} are read (the model "
                                 "was trained on review snippets of about 19 words): split long texts")
            rows.append([self._index.get(t, UNKNOWN) for t in tokens])
        ids = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
        return ids

    @torch.no_grad()
    def predict(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(labels (N,), probabilities (N, 2)) of raw texts; label 1 is `fresh` (positive)."""
        ids = self.encode(texts).to(next(self.parameters()).device)
        probs = torch.cat([self(ids[i : i + 512]).softmax(1) for i in range(0, len(ids), 512)]).cpu()
        return probs.argmax(1), probs


@register_model(task="text-classification", dataset="rotten_tomatoes", chapter=9, capabilities=("classify_text",),
                head=("classifier",))
def lstm_sentiment_rt(vocab_size: int = 20000, embed_dim: int = 128, hidden: int = 128, dropout: float = 0.5):
    """An LSTM that reads a movie-review snippet and says whether it is fresh (positive) or rotten."""
    return LSTMSentiment(vocab_size, embed_dim, hidden, dropout)
