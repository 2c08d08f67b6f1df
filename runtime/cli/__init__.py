"""The ``aurorakit`` command line: argument parsing and output only; the work is done by
the library packages beside this one. Entry point: ``main.main``."""
