"""The admin's status page: one static HTML page, its script and stylesheet (package data, no build
step, nothing from a CDN). The page holds no data: it reads the same JSON endpoints as the CLI."""
