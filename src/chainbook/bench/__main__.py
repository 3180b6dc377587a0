"""`python -m chainbook.bench ...` (same as `chainbook bench ...`)."""

import sys

from chainbook.bench.cli import main

sys.exit(main())
