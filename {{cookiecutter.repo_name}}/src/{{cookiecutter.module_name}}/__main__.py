"""Entry point for ``python -m`` (see :mod:`.cli`)."""

from .cli import main

raise SystemExit(main())
