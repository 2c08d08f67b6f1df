"""aurorakit.runtime: what generated models stand on, and the packages built on it.

- ``java``, ``gson``, ``doubles``: Java hash semantics, ``Double.toString`` and Gson's string escaping.
- ``struct``, ``typespec``, ``containers``: the base classes and values of generated models.
- ``hashing``, ``identity``: cachedHashCode and the identity hashes of enum constants.
- ``codec``, ``codec_support``, ``thrift_bridge``, ``treeview``: Gson JSON in and out, Thrift objects, trees.
- ``aurora/`` (the event, releases, verify), ``webhook/``, ``simulate/``, ``relay/``, ``cli/``.
"""
