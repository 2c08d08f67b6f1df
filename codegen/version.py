"""The generator's version, stamped into every generated file's header."""

GENERATOR_VERSION = "0.1.0"
