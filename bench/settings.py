"""The shop's own settings for `make bench`, with STATIC_ROOT taken from the environment.

shop/settings.py fixes STATIC_ROOT to <repo>/staticfiles; the benchmark collects
the static files into a temporary directory instead, so a run never writes into
the working tree. Nothing else differs from production settings.
"""

import os

from shop.settings import *  # noqa: F403

STATIC_ROOT = os.environ["STATIC_ROOT"]
