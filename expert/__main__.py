"""``python -m expert``: the same as the ``mixexpert`` command."""

import sys

from expert.cli import main

sys.exit(main())
