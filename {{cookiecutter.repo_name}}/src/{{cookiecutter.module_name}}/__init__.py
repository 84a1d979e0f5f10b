"""Tracked, reproducible machine-learning experiments.

The package is organised around three swappable building blocks and one flow:

- ``datasets``: where features and targets come from (:class:`datasets.Dataset`);
- ``models``: what is trained (:class:`models.Model`);
- ``evaluation``: how predictions are scored (:class:`evaluation.Evaluator`);
- ``flow``: the one experiment flow that trains, evaluates and tracks a run in MLflow.

Run the package with ``python -m`` and ``--help`` for the command line (see ``cli.py``).
"""
