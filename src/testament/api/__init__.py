"""The native REST API (`/api/v1`), its OpenAPI document, and the root ASGI app.

Routes are thin: parse, call one use case, shape the answer. Errors from the domain are
mapped to RFC 9457 problem+json in one table (`errors.py`).
"""
