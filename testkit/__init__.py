"""What the template's tests and benchmarks share: baking projects, running their commands.

:mod:`.baking` bakes a project and runs commands in it as a user would; :mod:`.combinations`
holds the named option combinations; :mod:`.running` starts servers, makes PostgreSQL
databases and reads a project's MLflow store (through :mod:`.store_query`, a script run by
the project's own interpreter).
"""
