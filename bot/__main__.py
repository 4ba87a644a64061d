"""``python -m bot`` runs the ``soudan`` command."""

import sys

from bot.cli import main

sys.exit(main())
