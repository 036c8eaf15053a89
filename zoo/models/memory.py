"""Memory-augmented networks (ch. 12): the neural Turing machine (Graves et al. 2014) and the differentiable
neural computer (Graves et al. 2016), each an LSTM controller that reads and writes an external memory
matrix through soft attention.

    ntm = zoo.load("ntm_copy")
    bits = torch.randint(0, 2, (1, 40, 8))
    copied = ntm.copy(bits)                              # (1, 40, 8) of 0/1
    copied, weights = ntm.copy(bits, return_weights=True)
    weights["write"], weights["read"]                    # (1, 81, N), (1, 81, R, N): one row per step

Every memory operation is batched: a step is a handful of tensor operations over all sequences and all
memory slots at once, and only time is a Python loop. `MemoryNetwork` runs a core over a sequence; the
cores (`NTMCore`, `DNCCore`) share one interface; `LSTMCore`, the baseline, runs whole sequences:

    state = core.initial_state(batch_size)
    features, state, weights = core(x_t, state)         # weights: {"write": (B, N), "read": (B, R, N)}
"""
from __future__ import annotations

import re

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..babi import Line, tokenize, vocabulary
from ..data import COPY_WIDTH, copy_inputs
from ..registry import register_model

EPS = 1e-6


def content_weights(memory: torch.Tensor, keys: torch.Tensor, strengths: torch.Tensor) -> torch.Tensor:
    """Content addressing: softmax over slots of strength x cosine similarity. memory (B, N, W), keys
    (B, H, W), strengths (B, H) -> (B, H, N)."""
    similarity = F.normalize(keys, dim=-1, eps=EPS) @ F.normalize(memory, dim=-1, eps=EPS).transpose(1, 2)
    return torch.softmax(strengths[..., None] * similarity, dim=-1)


def write_memory(memory: torch.Tensor, weights: torch.Tensor, erase: torch.Tensor, add: torch.Tensor) -> torch.Tensor:
    """Erase then add: M <- M (1 - w e^T) + w a^T, with weights (B, N), erase and add (B, W)."""
    return memory * (1 - weights[:, :, None] * erase[:, None, :]) + weights[:, :, None] * add[:, None, :]


class LSTMCore(nn.Module):
    """No memory: a stack of LSTM layers, the baseline the memory networks are measured against. It runs a
    whole sequence at once (`run`), as fast as torch's LSTM goes, so that the same wall time buys it more
    training."""

    def __init__(self, input_size: int, hidden: int, layers: int = 1):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden, layers, batch_first=True)
        self.output_size = hidden

    def run(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.lstm(inputs)[0]


class NTMCore(nn.Module):
    """The neural Turing machine: an LSTM controller, one write head and `reads` read heads, each addressed by
    content, then interpolation with its last weighting, a shift of -1, 0 or +1 slots, and sharpening."""

    def __init__(self, input_size: int, hidden: int = 100, slots: int = 128, width: int = 20, reads: int = 1):
        super().__init__()
        self.slots, self.width, self.reads = slots, width, reads
        self.controller = nn.LSTMCell(input_size + reads * width, hidden)
        self.head_sizes = [width, 1, 1, 3, 1]  # key, strength, gate, shift, sharpening
        per_head = sum(self.head_sizes)
        self.heads = nn.Linear(hidden, (reads + 1) * per_head + 2 * width)  # + erase and add of the write head
        self.initial_read = nn.Parameter(torch.randn(reads, width) * 0.01)
        self.output_size = hidden + reads * width

    def initial_state(self, batch: int, device=None):
        device = device or self.initial_read.device
        h = torch.zeros(batch, self.controller.hidden_size, device=device)
        memory = torch.full((batch, self.slots, self.width), 1e-6, device=device)  # constant, as Collier & Beel advise
        weighting = torch.zeros(batch, self.reads + 1, self.slots, device=device)
        weighting[..., 0] = 1  # every head starts at slot 0; no parameter depends on the number of slots
        return (h, h), memory, weighting, self.initial_read.flatten().expand(batch, -1)

    def address(self, memory, previous, key, strength, gate, shift, sharpen):
        """(B, H, N) weightings of H heads from their parameters (B, H, ...)."""
        w = content_weights(memory, key, F.softplus(strength[..., 0]))
        g = torch.sigmoid(gate)
        w = g * w + (1 - g) * previous
        s = torch.softmax(shift, -1)  # over shifts -1, 0, +1
        w = s[..., :1] * w.roll(-1, -1) + s[..., 1:2] * w + s[..., 2:] * w.roll(1, -1)
        w = w.clamp_min(EPS) ** (1 + F.softplus(sharpen))
        return w / w.sum(-1, keepdim=True)

    def forward(self, x, state):
        (h, c), memory, previous, read = state
        h, c = self.controller(torch.cat([x, read], 1), (h, c))
        params = self.heads(h).clamp(-20, 20)
        b, heads = len(x), self.reads + 1
        addressing = params[:, : heads * sum(self.head_sizes)].view(b, heads, -1).split(self.head_sizes, -1)
        erase, add = params[:, heads * sum(self.head_sizes) :].split(self.width, -1)
        weighting = self.address(memory, previous, *addressing)
        write, reading = weighting[:, 0], weighting[:, 1:]
        memory = write_memory(memory, write, torch.sigmoid(erase), torch.tanh(add))
        read = (reading @ memory).flatten(1)
        return torch.cat([h, read], 1), ((h, c), memory, weighting, read), {"write": write, "read": reading}


class DNCCore(nn.Module):
    """The differentiable neural computer: an LSTM controller, one write head that writes by content or to the
    least-used slots (dynamic allocation with free gates), and `reads` read heads that read by content or
    follow the temporal links forwards or backwards from where they last read."""

    def __init__(self, input_size: int, hidden: int = 128, slots: int = 128, width: int = 20, reads: int = 1):
        super().__init__()
        self.slots, self.width, self.reads = slots, width, reads
        self.controller = nn.LSTMCell(input_size + reads * width, hidden)
        r, w = reads, width
        # read keys and strengths, write key and strength, erase, write vector, free gates,
        # allocation gate, write gate, read modes
        self.interface_sizes = [r * w, r, w, 1, w, w, r, 1, 1, 3 * r]
        self.interface = nn.Linear(hidden, sum(self.interface_sizes))
        self.output_size = hidden + reads * width

    def initial_state(self, batch: int, device=None):
        device = device or self.interface.weight.device
        n, r = self.slots, self.reads
        h = torch.zeros(batch, self.controller.hidden_size, device=device)
        zeros = lambda *shape: torch.zeros(batch, *shape, device=device)  # noqa: E731
        # controller, memory, usage, precedence, links, write weighting, read weightings, read vectors
        return (h, h), zeros(n, self.width), zeros(n), zeros(n), zeros(n, n), zeros(n), zeros(r, n), zeros(r * self.width)

    def allocation(self, usage: torch.Tensor) -> torch.Tensor:
        """Weighting (B, N) that favours the least-used slots: a_j = (1 - u_j) x product of the usage of the
        slots freer than j."""
        usage = EPS + (1 - EPS) * usage
        sorted_usage, order = usage.sort(dim=-1, stable=True)  # ties (an empty memory) go in slot order
        free_before = torch.cumprod(torch.cat([torch.ones_like(sorted_usage[:, :1]), sorted_usage[:, :-1]], 1), 1)
        return torch.zeros_like(usage).scatter(1, order, (1 - sorted_usage) * free_before)

    def forward(self, x, state):
        (h, c), memory, usage, precedence, links, write, read_w, read = state
        b, r = len(x), self.reads
        h, c = self.controller(torch.cat([x, read], 1), (h, c))
        (read_keys, read_strengths, write_key, write_strength, erase, add, free_gates, allocation_gate,
         write_gate, modes) = self.interface(h).clamp(-20, 20).split(self.interface_sizes, 1)

        retention = torch.prod(1 - torch.sigmoid(free_gates)[..., None] * read_w, 1)
        usage = (usage + write - usage * write) * retention
        by_content = content_weights(memory, write_key[:, None], F.softplus(write_strength))[:, 0]
        ga = torch.sigmoid(allocation_gate)
        write = torch.sigmoid(write_gate) * (ga * self.allocation(usage) + (1 - ga) * by_content)
        memory = write_memory(memory, write, torch.sigmoid(erase), add)

        links = (1 - write[:, :, None] - write[:, None, :]) * links + write[:, :, None] * precedence[:, None, :]
        links = links * (1 - torch.eye(self.slots, device=x.device))
        precedence = (1 - write.sum(1, keepdim=True)) * precedence + write
        forward = read_w @ links.transpose(1, 2)
        backward = read_w @ links
        content = content_weights(memory, read_keys.view(b, r, -1), F.softplus(read_strengths))
        modes = torch.softmax(modes.view(b, r, 3), -1)
        read_w = modes[..., :1] * backward + modes[..., 1:2] * content + modes[..., 2:] * forward
        read = (read_w @ memory).flatten(1)
        state = ((h, c), memory, usage, precedence, links, write, read_w, read)
        return torch.cat([h, read], 1), state, {"write": write, "read": read_w}


class MemoryNetwork(nn.Module):
    """A core run over a sequence, with a linear read-out of the controller and the read vectors at each step."""

    def __init__(self, core: nn.Module, output_size: int):
        super().__init__()
        self.core = core
        self.readout = nn.Linear(core.output_size, output_size)

    def forward(self, inputs: torch.Tensor, return_weights: bool = False):
        """Logits (B, L, output_size) for inputs (B, L, input_size); with `return_weights`, also the write
        weightings (B, L, N) and read weightings (B, L, R, N) at each step."""
        if hasattr(self.core, "run"):
            if return_weights:
                raise ValueError(f"{type(self.core).__name__} has no memory, so no weightings to return")
            return self.readout(self.core.run(inputs))
        state = self.core.initial_state(len(inputs), inputs.device)
        outputs, weights = [], []
        for x in inputs.unbind(1):
            features, state, w = self.core(x, state)
            outputs.append(self.readout(features))
            weights.append(w)
        logits = torch.stack(outputs, 1)
        return (logits, {k: torch.stack([w[k] for w in weights], 1) for k in weights[0]}) if return_weights else logits


def check_bits(bits, width: int, name: str = "bits") -> torch.Tensor:
    if not isinstance(bits, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of 0/1 of shape (B, T, {width}), got {type(bits).__name__}")
    if bits.dim() != 3 or bits.shape[-1] != width or bits.shape[1] < 1:
        raise ValueError(f"{name} must have shape (B, T, {width}) with T >= 1, got {tuple(bits.shape)}")
    if not ((bits == 0) | (bits == 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1")
    return bits.float()


class CopyMachine(MemoryNetwork):
    """A memory network trained on the copy task: it reads T 8-bit vectors and a delimiter, then writes the
    same T vectors back."""

    def copy(self, bits: torch.Tensor, return_weights: bool = False):
        """Predicted bits (B, T, 8) of 0/1 for bits (B, T, 8); with `return_weights`, also the weightings over
        memory at every one of the 2T+1 steps (see `forward`)."""
        bits = check_bits(bits, COPY_WIDTH)
        device = self.readout.weight.device
        with torch.no_grad():
            out = self(copy_inputs(bits.to(device)), return_weights=return_weights)
        logits, weights = out if return_weights else (out, None)
        copied = (logits[:, bits.shape[1] + 1 :] > 0).to(bits.dtype).cpu()
        return (copied, weights) if return_weights else copied


class StoryReader(MemoryNetwork):
    """A memory network that reads a bAbI-style story one line per step, each line the sum of its word
    embeddings weighted by the word's position (as in end-to-end memory networks), and answers each
    question with one word of its vocabulary at that question's step."""

    def __init__(self, core: nn.Module, embed_dim: int, max_words: int = 8):
        self.words = tuple(vocabulary())
        super().__init__(core, len(self.words) + 1)  # id 0 is padding and never the answer
        self.max_words = max_words
        self.embedding = nn.Embedding(len(self.words) + 1, embed_dim, padding_idx=0)
        self.position = nn.Parameter(torch.ones(max_words, embed_dim))
        self.question_flag = nn.Parameter(torch.zeros(embed_dim))
        self._index = {w: i + 1 for i, w in enumerate(self.words)}

    def forward(self, ids: torch.Tensor, is_question: torch.Tensor, return_weights: bool = False):
        """Logits (B, S, 1 + words) for stories of word ids (B, S lines, W words) and a (B, S) question mask."""
        lines = (self.embedding(ids) * self.position[: ids.shape[2]]).sum(2)
        return super().forward(lines + is_question[..., None].float() * self.question_flag, return_weights)

    def encode(self, stories: list[list[Line]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(word ids (B, S, W), question mask (B, S), answer ids (B, S), -100 where no question) of stories
        of `zoo.babi.Line`s, padded with empty lines at the end."""
        lines = max(map(len, stories))
        ids = torch.zeros(len(stories), lines, self.max_words, dtype=torch.long)
        answers = torch.full((len(stories), lines), -100)
        for b, story in enumerate(stories):
            for s, line in enumerate(story):
                ids[b, s, : self.max_words] = torch.tensor(self._ids(line.text))
                if line.is_question:
                    answers[b, s] = self._ids(line.answer)[0]
        return ids, answers != -100, answers

    def _ids(self, text: str) -> list[int]:
        words = tokenize(text)
        unknown = [w for w in words if w not in self._index]
        if unknown:
            raise ValueError(f"unknown words {unknown} in {text!r}; the model knows only these: {', '.join(self.words)}")
        if not words or len(words) > self.max_words:
            raise ValueError(f"each line needs 1 to {self.max_words} words, got {len(words)} in {text!r}")
        return [self._index[w] for w in words] + [0] * (self.max_words - len(words))

    def answer(self, story, question: str, return_weights: bool = False):
        """The one-word answer to `question` after reading `story` (a string of sentences ending in full
        stops, or a list of sentences); with `return_weights`, also the weightings over memory at each line
        (the question last)."""
        if isinstance(story, str):
            story = [s for s in re.split(r"[.\n]+", story) if s.strip()]
        if not isinstance(story, (list, tuple)) or not all(isinstance(s, str) for s in story):
            raise TypeError(f"story must be a string or a list of sentences, got {type(story).__name__}")
        if not isinstance(question, str):
            raise TypeError(f"question must be a string, got {type(question).__name__}")
        lines = [Line(i + 1, s) for i, s in enumerate(story)] + [Line(len(story) + 1, question, "yes")]
        ids, is_question, _ = self.encode([lines])
        device = self.readout.weight.device
        with torch.no_grad():
            out = self(ids.to(device), is_question.to(device), return_weights=return_weights)
        logits, weights = out if return_weights else (out, None)
        word = self.words[int(logits[0, -1, 1:].argmax())]
        return (word, weights) if return_weights else word


@register_model(task="algorithmic", dataset="copy", chapter=12, capabilities=("copy",))
def ntm_copy(hidden: int = 100, slots: int = 128, width: int = 20):
    """A neural Turing machine (LSTM controller, one read and one write head) trained to copy bit sequences."""
    return CopyMachine(NTMCore(COPY_WIDTH + 1, hidden, slots, width, reads=1), COPY_WIDTH)


@register_model(task="algorithmic", dataset="copy", chapter=12, capabilities=("copy",))
def dnc_copy(hidden: int = 100, slots: int = 128, width: int = 20, reads: int = 1):
    """A differentiable neural computer (LSTM controller, dynamic allocation, temporal links) trained to copy
    bit sequences."""
    return CopyMachine(DNCCore(COPY_WIDTH + 1, hidden, slots, width, reads), COPY_WIDTH)


@register_model(task="question-answering", dataset="babi_generated", chapter=12, capabilities=("answer",))
def dnc_babi(embed_dim: int = 64, hidden: int = 128, slots: int = 32, width: int = 32, reads: int = 2):
    """A differentiable neural computer that reads bAbI-style stories (tasks 1, 2 and 6) a line at a time and
    answers their questions with one word."""
    return StoryReader(DNCCore(embed_dim, hidden, slots, width, reads), embed_dim)


def lstm_babi(hidden: int, embed_dim: int = 64, layers: int = 1) -> StoryReader:
    """The baseline: the same story reader on LSTM cells only."""
    return StoryReader(LSTMCore(embed_dim, hidden, layers), embed_dim)


def lstm_copy(hidden: int, layers: int = 3) -> CopyMachine:
    """The baseline: LSTM cells only, sized by the caller to match a memory network's parameters."""
    return CopyMachine(LSTMCore(COPY_WIDTH + 1, hidden, layers), COPY_WIDTH)
