"""The domain: plain Python entities, state machines, content validation and the error tree.

Nothing here imports a web framework, the ORM or the network; the store maps these classes
onto tables (`store/tables.py`) without them knowing.
"""
