"""``python -m skser.cli``: the same as the ``skser`` command."""

from . import main

if __name__ == "__main__":
    raise SystemExit(main())
