"""``python -m helpdesk_kit.cli``."""

import sys

from helpdesk_kit.cli import main

sys.exit(main())
