"""Generated models of the Aurora IDLs in thrift/ (see aurorakit.codegen)."""
