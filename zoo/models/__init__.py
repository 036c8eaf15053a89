"""Every architecture of the zoo; importing this package registers them all."""
from . import classifiers  # noqa: F401
