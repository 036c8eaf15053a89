"""Grapheme-to-phoneme conversion (ch. 9): an encoder-decoder with attention over the letters of a word,
as a recurrent network (seq2seq_g2p_cmudict) and as a Transformer (transformer_g2p_cmudict).

    g2p = zoo.load("seq2seq_g2p_cmudict")
    g2p.pronounce("zoo")                      # 'Z UW'
    g2p.predict(["hello", "world"], beam=4)   # [['HH', 'AH', 'L', 'OW'], ['W', 'ER', 'L', 'D']]
    phonemes, weights = g2p.attention("hello")  # weights: (len(phonemes) + 1, len(word)), rows sum to 1

Both share the symbol tables, the input checks and the decoding (greedy or beam search); each defines
`encode(letters)` and `decode(memory, letters, phonemes_in)`. The phonemes are CMUdict's 39 ARPAbet
symbols without stress.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data import CMUDICT_PHONEMES
from ..registry import register_model

LETTERS = "'abcdefghijklmnopqrstuvwxyz"
PAD, BOS, EOS = 0, 1, 2
PHONEMES = ("<pad>", "<s>", "</s>", *CMUDICT_PHONEMES)
MAX_LETTERS = 48  # longer than any word in CMUdict (34 letters)
_LETTER_ID = {c: i + 1 for i, c in enumerate(LETTERS)}
_PHONEME_ID = {p: i for i, p in enumerate(PHONEMES)}


def letter_ids(words: list[str]) -> torch.Tensor:
    """(B, S) letter ids, 0-padded, of lowercase words of a-z and apostrophes (upper case is lowered)."""
    if isinstance(words, str) or not isinstance(words, (list, tuple)):
        raise TypeError(f"words must be a list of strings, got {type(words).__name__}; for one word use pronounce()")
    if not words:
        raise ValueError("words is empty; give at least one word")
    for w in words:
        if not isinstance(w, str):
            raise TypeError(f"each word must be a string, got {w!r}")
        if not w:
            raise ValueError("an empty string is not a word; each word needs at least one letter")
        bad = sorted(set(w.lower()) - set(LETTERS))
        if bad:
            raise ValueError(f"{w!r} has characters the model does not know ({''.join(bad)!r}); a word is made "
                             "of the letters a-z and apostrophes; split phrases into words first")
        if len(w) > MAX_LETTERS:
            raise ValueError(f"{w[:20]}... has {len(w)} letters; at most {MAX_LETTERS} are supported")
    ids = torch.zeros(len(words), max(map(len, words)), dtype=torch.long)
    for i, w in enumerate(words):
        ids[i, : len(w)] = torch.tensor([_LETTER_ID[c] for c in w.lower()])
    return ids


def phoneme_ids(pronunciations: list[list[str]]) -> torch.Tensor:
    """(B, T + 2) ids of `<s> phonemes </s>`, 0-padded, for teacher forcing."""
    ids = torch.zeros(len(pronunciations), max(map(len, pronunciations)) + 2, dtype=torch.long)
    for i, pron in enumerate(pronunciations):
        ids[i, : len(pron) + 2] = torch.tensor([BOS, *(_PHONEME_ID[p] for p in pron), EOS])
    return ids


class G2PModel(nn.Module):
    """What both G2P models share: subclasses define `encode` and `decode`."""

    def forward(self, letters: torch.Tensor, phonemes_in: torch.Tensor) -> torch.Tensor:
        """Next-phoneme logits (B, T, len(PHONEMES)) for every prefix of `phonemes_in` (teacher forcing)."""
        return self.decode(self.encode(letters), letters, phonemes_in)[0]

    def encode(self, letters: torch.Tensor):
        raise NotImplementedError

    def decode(self, memory, letters: torch.Tensor, phonemes_in: torch.Tensor, attention: bool = False):
        """(logits (B, T, V), attention weights (B, T, S) over the letters, or None unless `attention`)."""
        raise NotImplementedError

    def step(self, memory, letters: torch.Tensor, phonemes_in: torch.Tensor, state):
        """(logits (B, V) of the next phoneme after `phonemes_in`, the state to pass to the next step).
        This default runs the decoder over the whole prefix again; a model that can carry a state (an
        LSTM's, or a Transformer's attention keys) overrides it to read only the last phoneme. `state` is
        None at the first step, and a tuple of tensors with the batch on dim 1 after it."""
        return self.decode(memory, letters, phonemes_in)[0][:, -1], None

    def reorder_state(self, state: tuple, parent: torch.Tensor) -> tuple:
        """The state for the hypotheses that beam search kept, each row `parent[i]` of the state before."""
        return tuple(s[:, parent] for s in state)

    @torch.no_grad()
    def generate(self, letters: torch.Tensor, beam: int = 1, max_len: int | None = None) -> torch.Tensor:
        """Phoneme ids (B, T) by beam search (greedy when `beam` = 1), 0 after each word's end; the
        hypothesis with the highest total log-probability wins."""
        b, k = letters.shape[0], beam
        max_len = max_len or 2 * letters.shape[1] + 4
        src = letters.repeat_interleave(k, 0)
        memory = self.encode(src)
        seqs = torch.full((b * k, 1), BOS, dtype=torch.long, device=letters.device)
        scores = torch.full((b, k), float("-inf"), device=letters.device)
        scores[:, 0] = 0  # one live hypothesis per word at the start
        done = torch.zeros(b * k, dtype=torch.bool, device=letters.device)
        state = None
        for _ in range(max_len):
            logits, state = self.step(memory, src, seqs, state)
            logp = logits.float().log_softmax(-1)
            logp[:, PAD] = logp[:, BOS] = float("-inf")
            logp[done] = float("-inf")
            logp[done, PAD] = 0  # a finished hypothesis is extended by padding at no cost
            vocab = logp.shape[1]
            top, idx = (scores.view(-1, 1) + logp).view(b, k * vocab).topk(k, 1)
            parent = (torch.arange(b, device=letters.device)[:, None] * k + idx // vocab).view(-1)
            token = (idx % vocab).view(-1, 1)
            seqs = torch.cat([seqs[parent], token], 1)
            state = None if state is None else self.reorder_state(state, parent)
            done = done[parent] | (token.view(-1) == EOS) | (token.view(-1) == PAD)
            scores = top
            if done.all():
                break
        best = seqs.view(b, k, -1)[torch.arange(b), scores.argmax(1), 1:]
        return best.masked_fill(best == EOS, PAD)

    def predict(self, words: list[str], beam: int = 1) -> list[list[str]]:
        """The phonemes of each word (ARPAbet without stress)."""
        if isinstance(beam, bool) or not isinstance(beam, int) or beam < 1:
            raise ValueError(f"beam is the number of hypotheses kept, a whole number of at least 1; got {beam!r}")
        device = next(self.parameters()).device
        letters = letter_ids(words)  # every word checked before any decoding
        out = []
        for start in range(0, len(letters), 512):
            chunk = letters[start : start + 512]
            chunk = chunk[:, : int((chunk != PAD).sum(1).max())].to(device)  # this chunk's own padding
            for row in self.generate(chunk, beam).tolist():
                out.append([PHONEMES[i] for i in row if i > EOS])
        return out

    def pronounce(self, word: str, beam: int = 1) -> str:
        """The pronunciation of one word as a space-separated string, e.g. 'HH AH L OW'."""
        if not isinstance(word, str):
            raise TypeError(f"pronounce takes one word as a string, got {word!r}; predict() takes a list")
        return " ".join(self.predict([word], beam)[0])

    @torch.no_grad()
    def attention(self, word: str) -> tuple[list[str], torch.Tensor]:
        """The greedy pronunciation of `word` and the attention weights (phonemes + 1, letters) each output
        step put on the letters (the last row is for the end of the word)."""
        phonemes = self.predict([word])[0]
        device = next(self.parameters()).device
        letters = letter_ids([word]).to(device)
        target = phoneme_ids([phonemes]).to(device)[:, :-1]
        _, weights = self.decode(self.encode(letters), letters, target, attention=True)
        return phonemes, weights[0].float().cpu()


class Seq2SeqG2P(G2PModel):
    """A bidirectional LSTM over the letters, an LSTM over the phonemes, and Luong's "general" attention
    (score = decoder state x W x encoder state) without input feeding, so that the decoder runs over a
    whole sequence at once in training."""

    def __init__(self, embed_dim: int = 128, hidden: int = 256, layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.letter_embedding = nn.Embedding(len(LETTERS) + 1, embed_dim, padding_idx=PAD)
        self.encoder = nn.LSTM(embed_dim, hidden, layers, batch_first=True, bidirectional=True, dropout=dropout)
        self.bridge_h = nn.Linear(2 * hidden, hidden)
        self.bridge_c = nn.Linear(2 * hidden, hidden)
        self.phoneme_embedding = nn.Embedding(len(PHONEMES), embed_dim, padding_idx=PAD)
        self.decoder = nn.LSTM(embed_dim, hidden, layers, batch_first=True, dropout=dropout)
        self.score = nn.Linear(2 * hidden, hidden, bias=False)
        self.combine = nn.Linear(3 * hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, len(PHONEMES))

    def encode(self, letters):
        lengths = (letters != PAD).sum(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.dropout(self.letter_embedding(letters)), lengths,
                                                   batch_first=True, enforce_sorted=False)
        states, (h, c) = self.encoder(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=letters.shape[1])

        def both_directions(s):  # (layers * 2, B, H) -> (layers, B, 2H)
            return torch.cat([s[0::2], s[1::2]], -1)

        h0 = torch.tanh(self.bridge_h(both_directions(h))).contiguous()
        c0 = self.bridge_c(both_directions(c)).contiguous()
        return states, self.score(states), (h0, c0)  # the states projected for the attention once, not per step

    def decode(self, memory, letters, phonemes_in, attention=False):
        states, keys, init = memory
        out, _ = self.decoder(self.dropout(self.phoneme_embedding(phonemes_in)), init)
        logits, weights = self._attend(states, keys, letters, out)
        return logits, (weights if attention else None)

    def step(self, memory, letters, phonemes_in, state):
        states, keys, init = memory
        out, state = self.decoder(self.dropout(self.phoneme_embedding(phonemes_in[:, -1:])), state or init)
        return self._attend(states, keys, letters, out)[0][:, -1], state

    def _attend(self, states, keys, letters, out):
        """Logits and attention weights of decoder outputs `out` (B, T, H) over encoder `states` (B, S, 2H),
        whose projections `keys` (B, S, H) the outputs are scored against."""
        scores = out @ keys.transpose(1, 2)  # (B, T, S)
        weights = scores.masked_fill((letters == PAD)[:, None, :], float("-inf")).softmax(-1)
        context = weights @ states
        mixed = torch.tanh(self.combine(torch.cat([out, context], -1)))
        return self.out(self.dropout(mixed)), weights


POSITIONS = ("sinusoidal", "rotary")


def sinusoids(length: int, dim: int) -> torch.Tensor:
    """The Transformer paper's positional encodings, (length, dim)."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2], table[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
    return table


def rotary_angles(length: int, head_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosines and sines (length, head_dim / 2) of rotary position embeddings (Su et al., 2021): at position p,
    pair i of a query's or key's components turns by p * 10000^(-2i / head_dim), so that their dot product
    depends on the two positions only through their difference."""
    freq = 10000.0 ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.arange(length, dtype=torch.float32)[:, None] * freq
    return angles.cos(), angles.sin()


def rotate(x: torch.Tensor, rotary: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
    """Queries or keys x (B, heads, T, dim / heads) turned by `rotary`, the cosines and sines of their T
    positions (`rotary_angles`); x itself when `rotary` is None."""
    if rotary is None:
        return x
    cos, sin = rotary
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], -1).flatten(-2)


def _split_heads(attn: nn.MultiheadAttention, x: torch.Tensor) -> torch.Tensor:
    return x.unflatten(-1, (attn.num_heads, -1)).transpose(1, 2)  # (B, T, dim) -> (B, heads, T, dim / heads)


def _merge_heads(attn: nn.MultiheadAttention, mixed: torch.Tensor) -> torch.Tensor:
    return attn.out_proj(mixed.transpose(1, 2).flatten(2))  # (B, heads, T, dim / heads) -> (B, T, dim), projected


def self_attention(attn: nn.MultiheadAttention, x: torch.Tensor, rotary=None, mask=None, is_causal=False):
    """`attn`'s self-attention over x (B, T, dim), with attention dropout while training; queries and keys
    are turned by `rotary` when given. `mask` is True where a query may look."""
    queries, keys, values = (_split_heads(attn, t) for t in
                             F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, -1))
    mixed = F.scaled_dot_product_attention(rotate(queries, rotary), rotate(keys, rotary), values, attn_mask=mask,
                                           is_causal=is_causal, dropout_p=attn.dropout if attn.training else 0.0)
    return _merge_heads(attn, mixed)


def project_keys(attn: nn.MultiheadAttention, x: torch.Tensor, rotary=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The keys (turned by `rotary` when given) and values that `attn` makes of x (B, T, dim),
    (B, heads, T, dim / heads) each."""
    dim = attn.embed_dim
    keys, values = F.linear(x, attn.in_proj_weight[dim:], attn.in_proj_bias[dim:]).chunk(2, -1)
    return rotate(_split_heads(attn, keys), rotary), _split_heads(attn, values)


def attend(attn: nn.MultiheadAttention, x: torch.Tensor, keys, values, mask=None, rotary=None) -> torch.Tensor:
    """What `attn` computes in eval mode for queries x (B, T, dim), turned by `rotary` when given, over keys
    and values from `project_keys`; `mask` is True where a query may look."""
    dim = attn.embed_dim
    queries = _split_heads(attn, F.linear(x, attn.in_proj_weight[:dim], attn.in_proj_bias[:dim]))
    mixed = F.scaled_dot_product_attention(rotate(queries, rotary), keys, values, attn_mask=mask)
    return _merge_heads(attn, mixed)


class EncoderLayer(nn.Module):
    """A pre-norm Transformer encoder layer whose self-attention can take rotary positions. Its parameters
    have nn.TransformerEncoderLayer's names, under which the `book` weights were first saved."""

    def __init__(self, dim, heads, ff, dropout):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.linear1, self.linear2 = nn.Linear(dim, ff), nn.Linear(ff, dim)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, letters_mask, rotary=None):
        x = x + self.dropout(self_attention(self.self_attn, self.norm1(x), rotary, mask=letters_mask))
        return x + self.dropout(self.linear2(self.dropout(F.relu(self.linear1(self.norm2(x))))))


class DecoderLayer(nn.Module):
    """A pre-norm Transformer decoder layer that can return its cross-attention weights; its self-attention
    can take rotary positions (the cross-attention has none: it finds letters by what the encoder made of them)."""

    def __init__(self, dim, heads, ff, dropout):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ff, dim))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(3))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, memory, memory_pad, rotary=None, attention=False):
        """(output, cross-attention weights (B, T, S) averaged over heads, or None unless `attention`)."""
        x = x + self.dropout(self_attention(self.self_attn, self.norms[0](x), rotary, is_causal=True))
        h = self.norms[1](x)
        mixed, weights = self.cross_attn(h, memory, memory, key_padding_mask=memory_pad, need_weights=attention)
        x = x + self.dropout(mixed)
        return x + self.dropout(self.ff(self.norms[2](x))), weights

    def step(self, x, past: tuple, letter_keys: tuple, letters_mask, rotary=None):
        """`forward` in eval mode for the next position x (B, 1, dim) alone, given `past`, the self-attention's
        keys and values of the earlier positions, and `letter_keys`, the cross-attention's of the letters
        (`project_keys`); `rotary` holds this position's angles. Returns the output and `past` with this
        position's keys and values added."""
        h = self.norms[0](x)
        past = tuple(torch.cat([earlier, new], 2) for earlier, new in zip(past, project_keys(self.self_attn, h, rotary)))
        x = x + attend(self.self_attn, h, *past, rotary=rotary)
        x = x + attend(self.cross_attn, self.norms[1](x), *letter_keys, mask=letters_mask)
        return x + self.ff(self.norms[2](x)), past


class TransformerG2P(G2PModel):
    """The Transformer encoder-decoder (multi-head attention), pre-norm. `positions`: "sinusoidal", the
    paper's encodings added to the embeddings, or "rotary", queries and keys of the self-attention turned by
    position (`rotary_angles`), which makes attention depend on relative positions only."""

    def __init__(self, dim: int = 192, heads: int = 4, layers: int = 3, ff: int = 704, dropout: float = 0.1,
                 positions: str = "sinusoidal"):
        super().__init__()
        if positions not in POSITIONS:
            raise ValueError(f"positions must be one of {POSITIONS}, got {positions!r}")
        self.dim, self.positions = dim, positions
        self.letter_embedding = nn.Embedding(len(LETTERS) + 1, dim, padding_idx=PAD)
        self.phoneme_embedding = nn.Embedding(len(PHONEMES), dim, padding_idx=PAD)
        for embedding in (self.letter_embedding, self.phoneme_embedding):
            # the Transformer's initialisation: scaled by sqrt(dim) in _embed, the embeddings start at unit
            # scale beside the positional encodings; PyTorch's default N(0, 1) would make them sqrt(dim)
            # times larger and drown the letters' positions, which the model then learns very slowly
            nn.init.normal_(embedding.weight, 0.0, dim**-0.5)
            nn.init.zeros_(embedding.weight[PAD])
        longest = 2 * MAX_LETTERS + 8
        if positions == "sinusoidal":
            self.register_buffer("position_encodings", sinusoids(longest, dim), persistent=False)
        else:
            cos, sin = rotary_angles(longest, dim // heads)
            self.register_buffer("rotary_cos", cos, persistent=False)
            self.register_buffer("rotary_sin", sin, persistent=False)
        self.encoder = nn.ModuleDict({"layers": nn.ModuleList(EncoderLayer(dim, heads, ff, dropout)
                                                              for _ in range(layers)), "norm": nn.LayerNorm(dim)})
        self.decoder = nn.ModuleList(DecoderLayer(dim, heads, ff, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(dim, len(PHONEMES))

    def _embed(self, embedding, ids, start=0):
        """Embeddings of `ids` at positions `start`, `start` + 1, ..."""
        x = embedding(ids) * math.sqrt(self.dim)
        if self.positions == "sinusoidal":
            x = x + self.position_encodings[start : start + ids.shape[1]]
        return self.dropout(x)

    def _rotary(self, start: int, length: int):
        """The rotary angles of positions `start` ... `start` + `length` - 1, or None without rotary positions."""
        if self.positions != "rotary":
            return None
        return self.rotary_cos[start : start + length], self.rotary_sin[start : start + length]

    def encode(self, letters):
        x = self._embed(self.letter_embedding, letters)
        letters_mask, rotary = (letters != PAD)[:, None, None, :], self._rotary(0, letters.shape[1])
        for layer in self.encoder.layers:
            x = layer(x, letters_mask, rotary)
        return self.encoder.norm(x)

    def decode(self, memory, letters, phonemes_in, attention=False):
        x = self._embed(self.phoneme_embedding, phonemes_in)
        rotary = self._rotary(0, phonemes_in.shape[1])
        weights = None
        for layer in self.decoder:
            x, weights = layer(x, memory, letters == PAD, rotary, attention)
        return self.out(self.norm(x)), weights  # the last layer's cross-attention, averaged over heads

    def step(self, memory, letters, phonemes_in, state):
        """The decoder for the last phoneme only. `state` is four (layers, B, heads, positions, dim / heads)
        tensors: each layer's self-attention keys and values of the earlier phonemes, so that the prefix is not
        run again, and its cross-attention keys and values of the letters, projected once at the first step."""
        if state is None:
            letter_keys = [project_keys(layer.cross_attn, memory) for layer in self.decoder]
            cross_keys, cross_values = (torch.stack(kv) for kv in zip(*letter_keys))
            no_phonemes = cross_keys[:, :, :, :0]
            state = (no_phonemes, no_phonemes, cross_keys, cross_values)
        self_keys, self_values, cross_keys, cross_values = state
        letters_mask = (letters != PAD)[:, None, None, :]
        position = phonemes_in.shape[1] - 1
        x = self._embed(self.phoneme_embedding, phonemes_in[:, -1:], start=position)
        rotary = self._rotary(position, 1)
        pasts = []
        for i, layer in enumerate(self.decoder):
            x, past = layer.step(x, (self_keys[i], self_values[i]), (cross_keys[i], cross_values[i]), letters_mask,
                                 rotary)
            pasts.append(past)
        keys, values = (torch.stack(p) for p in zip(*pasts))
        return self.out(self.norm(x))[:, -1], (keys, values, cross_keys, cross_values)

    def reorder_state(self, state, parent):
        """Only the phonemes' keys and values: the hypotheses of one word, among which beam search picks the
        parents, share their letters' keys and values."""
        return (state[0][:, parent], state[1][:, parent], *state[2:])


@register_model(task="grapheme-to-phoneme", dataset="cmudict", chapter=9, capabilities=("pronounce",))
def seq2seq_g2p_cmudict(embed_dim: int = 128, hidden: int = 224, layers: int = 2, dropout: float = 0.2):
    """An LSTM encoder-decoder with attention that spells words out in ARPAbet phonemes (CMUdict)."""
    return Seq2SeqG2P(embed_dim, hidden, layers, dropout)


@register_model(task="grapheme-to-phoneme", dataset="cmudict", chapter=9, capabilities=("pronounce",))
def transformer_g2p_cmudict(dim: int = 192, heads: int = 4, layers: int = 3, ff: int = 704, dropout: float = 0.05,
                            positions: str = "rotary"):
    """A Transformer encoder-decoder that spells words out in ARPAbet phonemes (CMUdict); the book's, with
    sinusoidal encodings and dropout 0.1, is `positions="sinusoidal", dropout=0.1` (the `book` weights)."""
    return TransformerG2P(dim, heads, layers, ff, dropout, positions)
