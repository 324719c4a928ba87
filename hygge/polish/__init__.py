"""Polish: last-mile column clean-up (hash ids, names, constants, load timestamps) per batch."""

from hygge.polish.config import PolishConfig
from hygge.polish.polisher import Polisher, polish_batch

__all__ = ["PolishConfig", "Polisher", "polish_batch"]
