"""``python -m calhouse``: the ``calhouse`` command."""

from calhouse.cli import main

raise SystemExit(main())
