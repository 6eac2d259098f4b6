"""`python -m bot` does what the `assessbot` console script does."""

import sys

from bot.cli import main

sys.exit(main())
