"""Exports out of the research zone: research tables (sav/csv/parquet + codebook) and employer
summaries. Exporters are handed the curated path only, never the restricted zone; text cells
bound for spreadsheets go through `safe_cells.neutralise_formula`.
"""
