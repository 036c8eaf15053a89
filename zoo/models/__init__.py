"""Every architecture of the zoo; importing this package registers them all."""
from . import agents, autoencoders, classifiers, g2p, generative, memory, score, sentiment, wordvectors  # noqa: F401
