"""derivcheck: check step-by-step derivations.

The library API is :mod:`derivcheck.api`; the command line is :mod:`derivcheck.cli`.
"""

__version__ = "0.1.0"
