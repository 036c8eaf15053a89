"""Every architecture of the zoo; importing this package registers them all."""
from . import classifiers, generative  # noqa: F401
