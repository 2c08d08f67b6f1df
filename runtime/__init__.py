"""aurorakit.runtime: what generated models stand on, and the packages built on it.

- ``java``, ``gson``: Java hash semantics, ``Double.toString`` and Gson's string escaping.
- ``scalars``: the one table of Thrift scalar facts (ranges, Java defaults, wire codes, hash rules).
- ``struct``, ``typespec``, ``containers``: the base classes and values of generated models;
  ``fields``: their field descriptions and the one walk over an object's fields.
- ``hashing``, ``identity``: cachedHashCode and the identity hashes of enum constants.
- ``codec``, ``thrift_bridge``, ``treeview``: Gson JSON in and out, Thrift objects, trees.
- what generated codecs call beyond the inline common case: ``read_values``, ``map_keys``,
  ``read_containers``, ``member_shapes`` (decoding), ``interning``, ``encoding``, ``hash_values``.
- ``aurora/`` (the event, releases, verify), ``webhook/``, ``simulate/``, ``relay/``, ``cli/``.
"""
