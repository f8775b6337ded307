"""Run the command-line interface: ``python -m sprint19_unet --help``."""

from sprint19_unet.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
