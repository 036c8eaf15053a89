"""Train ntm_copy, the book's neural Turing machine (ch. 12), on the copy task of Graves et al. (2014):
sequences of 1 to 20 random 8-bit vectors, generated from the seed; write its weights and manifest entry.

    python scripts/train_ntm_copy.py --checkpoint runs/ntm_copy.ckpt

Adam on the cross-entropy of the copied bits, gradient norm clipped at 10, batches of 16 with one length
per batch drawn uniformly from 1 to 20; the state with the fewest validation errors at T = 20 is kept. It
trains in a memory of 32 slots, which holds the longest training sequence; no weight depends on the
number of slots, and the published model has 128. The test copies
500 sequences of each of T = 10, 20, 40, 80 and 120 (see zoo.evaluation.copy_errors).
"""
from zoo.memory_training import copy_script

copy_script(
    "ntm_copy", __doc__,
    recipe={"batches": 13_421,  # where the published run's 30 minutes ended
             "batch_size": 16, "lr": 1e-3, "train_slots": 32, "validate_every": 500},
    description=(
        "The book's neural Turing machine (ch. 12; Graves et al. 2014): an LSTM controller of 100 units with "
        "one write head and one read head on a memory of 128 slots of 20 numbers. Each head finds its slot by "
        "content (cosine similarity, sharpened by a learned strength), interpolates with where it was, shifts "
        "by -1, 0 or +1 slots and sharpens; the write head erases and adds. Trained to copy: it reads T random "
        "8-bit vectors and a delimiter, then writes the same vectors back. It saw only T from 1 to 20; the test "
        "goes to 120, where the memory is nearly full.\n\n"
        "```python\nmodel = zoo.load(\"ntm_copy\")\nbits = torch.randint(0, 2, (1, 40, 8))\n"
        "copied, weights = model.copy(bits, return_weights=True)\n(copied != bits).sum()  # bits wrong\n```\n\n"
        "Below, the machine copying 20 vectors: it writes them to consecutive slots, then reads the same slots "
        "back in order."),
)
