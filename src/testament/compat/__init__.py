"""Compatibility surfaces: each mirrors a vendor's public API over the same core.

A surface is a translator (an anti-corruption layer): `schemas.py` is the vendor's wire
format, `translate.py` pure functions between it and the use cases, `router.py` glue.
Surfaces never import each other; a rule two of them need belongs in services/ or domain/.
"""
