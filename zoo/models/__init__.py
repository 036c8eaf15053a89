"""Every architecture of the zoo; importing this package registers them all."""
from . import agents, autoencoders, classifiers, generative, wordvectors  # noqa: F401
