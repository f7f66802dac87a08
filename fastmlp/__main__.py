"""``python -m fastmlp``: the same as the ``fastmlp`` command."""

from .cli import main

raise SystemExit(main())
