"""Train dnc_copy, the book's differentiable neural computer (ch. 12), on the copy task of Graves et al.
(2014): sequences of 1 to 20 random 8-bit vectors, generated from the seed; write its weights and
manifest entry.

    python scripts/train_dnc_copy.py --checkpoint runs/dnc_copy.ckpt

The recipe is ntm_copy's (zoo.memory_training.copy_script). It trains in a memory of 32 slots, which
holds the longest training sequence four times cheaper than 128; no weight depends on the number of
slots, and the published model has 128.
"""
from zoo.memory_training import copy_script

copy_script(
    "dnc_copy", __doc__,
    recipe={"batches": 3_000, "batch_size": 32, "lr": 1e-3, "train_slots": 32},
    description=(
        "The book's differentiable neural computer (ch. 12; Graves et al. 2016): an LSTM controller of 100 "
        "units, one write head and one read head on a memory of 128 slots of 20 numbers. The write head writes "
        "by content or to the least-used slots (dynamic allocation, with free gates that release what was "
        "read); a temporal link matrix records the order of writes, and the read head reads by content or "
        "follows the links forwards or backwards. Trained to copy: it reads T random 8-bit vectors and a "
        "delimiter, then writes the same vectors back. It saw only T from 1 to 20; the test goes to 120.\n\n"
        "```python\nmodel = zoo.load(\"dnc_copy\")\nbits = torch.randint(0, 2, (1, 40, 8))\n"
        "copied, weights = model.copy(bits, return_weights=True)\n(copied != bits).sum()  # bits wrong\n```\n\n"
        "Below, the machine copying 20 vectors: where it writes and where it reads."),
)
