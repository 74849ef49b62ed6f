"""``python -m planner`` runs the pull-planner CLI."""

import sys

from planner.cli import main

sys.exit(main())
