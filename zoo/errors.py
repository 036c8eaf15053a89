"""The zoo's own exceptions: every failure to find, fetch or trust weights is one of these."""
from __future__ import annotations


class ZooError(Exception):
    """Base of the zoo's errors; the CLI prints these as one line."""

    def __str__(self):  # KeyError subclasses would otherwise show the message in quotes
        return str(self.args[0]) if self.args else ""


class UnknownModelError(ZooError, KeyError):
    """No entry of that name is registered."""


class NoPretrainedWeightsError(ZooError, KeyError):
    """The entry exists but has no published weights (of the version asked for)."""


class ManifestError(ZooError, ValueError):
    """The weights manifest is malformed: unreadable JSON, a missing field, or an unsafe filename."""


class WeightsNotFoundError(ZooError, FileNotFoundError):
    """No copy of a weights file is in the local weights folder or the Hub cache, and none could be fetched."""


class DownloadError(WeightsNotFoundError):
    """The download from the Hub failed: the network, the server or HF_ENDPOINT."""


class IntegrityError(ZooError, RuntimeError):
    """A weights file is not the one the manifest records (size or sha256), or not a regular file."""
