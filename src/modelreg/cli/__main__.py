"""``python -m modelreg.cli``: the ``modelreg`` command."""

from modelreg.cli import main

# Guarded: ``--workers`` start processes with multiprocessing's spawn, which imports
# this module again in every worker; an unguarded call would run the CLI there.
if __name__ == "__main__":
    main()
