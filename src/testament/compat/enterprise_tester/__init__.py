"""The Enterprise Tester-compatible surface: the translator that mirrors Catch Software's
Enterprise Tester REST API (scripts, assignments, runs, step results, users, OData query
options, `$expand`, permissions) over Testament's core, mounted at `/enterprise-tester`.
"""
