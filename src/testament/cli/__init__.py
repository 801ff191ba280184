"""The `testament` command line (Typer + Rich).

Admin commands (`workspace`, `key`) work on the server's database directly, whether the
server runs or not. Everything else is a client of the REST API (`--server`, `--key`, or
TESTAMENT_URL and TESTAMENT_API_KEY).
"""
