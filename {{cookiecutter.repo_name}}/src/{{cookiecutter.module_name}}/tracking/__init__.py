"""Experiment tracking with MLflow.

Where the store is (:mod:`.store`), what each run records (:mod:`.recording`) and the
registry's aliases and baselines (:mod:`.registry`).
"""
