"""``python -m calhouse``: see :mod:`calhouse.cli`."""

from calhouse.cli import main

raise SystemExit(main())
