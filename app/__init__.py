"""ipeval: the evaluation engine for China's IP-strong-province pilot programme."""

__version__ = "0.1.0"
