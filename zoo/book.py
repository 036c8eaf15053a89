"""Where each entry follows *Fundamentals of Deep Learning* (2nd ed.) and where it departs, for the
model cards. Figures are only the book's own where it states one; ours come from the manifest."""
from __future__ import annotations

# name: (the book's model, this entry's departures or None where it follows the book)
BOOK = {
    "mlp_mnist": ("784-256-10 feed-forward network, SGD", "784-512-512-10 with dropout 0.2, AdamW one-cycle, "
                  "augmentation and label smoothing; the book's network is published as the `book` weights"),
    "cnn_mnist": ("two 5x5 conv + max-pool stages (32, 64 channels), a 1024-wide dense layer, dropout",
                  "batch norm after each convolution and a 512-wide dense layer, AdamW one-cycle, augmentation; "
                  "the book's network is published as the `book` weights"),
    "cnn_bn_fashion_mnist": ("the CIFAR-10 network: two 5x5 conv + max-pool stages of 64 channels, dense layers of "
                             "384 and 192, batch norm after each", "FashionMNIST's 28x28 grey images instead of "
                             "CIFAR-10 (not available here); AdamW one-cycle, shifts and mirroring, label smoothing"),
    "resnet34_fashion_mnist": ("ResNet-34: basic residual blocks, 3, 4, 6 and 3 to a stage, 64 to 512 channels",
                               "built by timm's ResNet; FashionMNIST instead of ImageNet; stage widths 30 to 240, a "
                               "deep 3x3 stem, output stride 16; float16 storage"),
    "autoencoder_mnist": ("784-1000-500-250-30 deep autoencoder and its mirror", "batch norm between layers, "
                          "Adam with a cosine schedule, float16 storage"),
    "autoencoder2d_mnist": ("the deep autoencoder with a 2-d code", "batch norm between layers, Adam with a cosine "
                            "schedule, float16 storage"),
    "denoising_autoencoder_mnist": ("the deep autoencoder trained on corrupted inputs", "masking noise at 30%, "
                                    "batch norm, float16 storage"),
    "sparse_autoencoder_mnist": ("one overcomplete sigmoid layer with a KL sparsity penalty", None),
    "skipgram_dictcorpus": ("skip-gram with negative sampling", "trained on a 6M-word dictionary corpus; int8 "
                            "storage with a scale per row"),
    "vae_mnist": ("784-500-(20+20) Gaussian encoder, Bernoulli decoder; Adam 1e-3, batch 100, constant rate",
                  "400 epochs with a cosine learning-rate decay; the book's recipe (100 epochs, constant rate) is "
                  "published as the `book` weights"),
    "gan_mnist": ("a DCGAN-style generator and discriminator", "3x3 convolutions at 7x7 and 14x14, a minibatch "
                  "standard-deviation map, one-sided label smoothing, a moving average of generator weights"),
    "score_mnist": ("score-based models: a score network trained by denoising score matching, sampled by Langevin "
                    "dynamics", "the variance-exploding SDE of Song et al. (2021), sampled by their predictor-corrector "
                    "steps: the book's Langevin dynamics between Euler-Maruyama steps of the reverse-time SDE; a "
                    "small U-Net, preconditioned as Karras et al. (2022) advise; moving-average weights"),
    "pg_cartpole": ("REINFORCE with a baseline on CartPole", None),
    "dqn_cartpole": ("DQN with experience replay, a target network and epsilon-greedy exploration",
                     "Huber loss and Adam"),
    "a3c_cartpole": ("A3C: asynchronous actor-critic workers sharing one model", None),
    "lstm_sentiment_rt": ("embedding, LSTM, dropout and a classifier on IMDB reviews", "Rotten Tomatoes snippets "
                          "instead of IMDB (not available here); a bidirectional LSTM pooled by max and mean over "
                          "the words; embeddings started from skipgram_dictcorpus; adversarial training on the embeddings "
                          "(Miyato et al., 2017); float16 storage"),
    "seq2seq_g2p_cmudict": ("an LSTM encoder-decoder with attention, for translation", "letters to phonemes "
                            "(CMUdict) instead of a translation corpus; Luong attention without input feeding; "
                            "float16 storage"),
    "transformer_g2p_cmudict": ("the Transformer encoder-decoder with multi-head attention and sinusoidal "
                                "positional encodings", "3+3 pre-norm layers of width 192 on letters to phonemes "
                                "(CMUdict); rotary position embeddings instead of sinusoidal encodings, and "
                                "dropout 0.05 instead of 0.1; float16 storage; the book's model is published as "
                                "the `book` weights"),
    "ntm_copy": ("the neural Turing machine: an LSTM controller; read and write heads addressed by content, then "
                 "interpolation, a shift and sharpening", "trained on the copy task of Graves et al. (2014); memory "
                 "starts at a small constant (Collier and Beel, 2018)"),
    "dnc_copy": ("the differentiable neural computer: content lookup, dynamic allocation by usage, temporal links",
                 "trained on the copy task in a memory of 32 slots, published with 128"),
    "dnc_babi": ("the differentiable neural computer reading bAbI stories word by word", "reads one line per step "
                 "(its words' embeddings weighted by position); trained on generated bAbI-style tasks 1, 2 and 6 "
                 "instead of the real 20"),
    "drqn_cartpole_pomdp": ("DRQN: DQN's network with a recurrent (LSTM) layer after its convolutions, for "
                            "Atari games the agent cannot see whole", "CartPole with the velocities hidden instead "
                            "of an Atari game: a dense encoder and an LSTM of 64; windows of 16 steps with a burn-in "
                            "of 4 and Double DQN targets"),
    "dqn_breakout": ("the Nature-DQN network on 4 stacked 84x84 frames", "trained for far fewer frames on a CPU"),
}


def book_table(name: str, figures: dict[str | None, str]) -> str:
    """The "book vs this entry" table of a model card; `figures` maps each weights version (None: the
    default) to its headline figure as measured by the evaluation code."""
    book_model, departs = BOOK.get(name, ("not in the book's text", None))
    rows = [f"| the book | {book_model} | none recorded |"]
    if "book" in figures:
        rows.append(f"| `weights=\"book\"` | the book's model, trained here (recipe in its card) | {figures['book']} |")
    rows.append(f"| this entry (default) | {departs or 'as the book'} | {figures.get(None, '-')} |")
    return "| | model | figure |\n|---|---|---|\n" + "\n".join(rows) + "\n"
