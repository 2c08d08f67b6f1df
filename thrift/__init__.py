"""The Aurora IDLs aurorakit ships: ``aurora/<release>/api.thrift`` (package data, no code).

Mapped to ``aurorakit.thrift`` so that an installed aurorakit still finds the
IDL of a release (``aurorakit diff 0.19 0.20``).
"""
