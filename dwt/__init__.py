"""Duurzaam Werk(t): the study's data pipeline (ingest, validation, pseudonyms, durability figures)."""

__version__ = "0.1.0"
