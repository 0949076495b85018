"""The drift report (`GET /api/drift`, `python -m provisioning drift`): what GoTo holds that the
mapping would not produce for the users in scope, and its repair through the normal apply path.

`report` decides (pure), `run` reads and repairs. See docs/drift.md.
"""
