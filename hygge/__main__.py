"""`python -m hygge` runs the command line."""

from hygge.cli.start import main

if __name__ == "__main__":
    main()
