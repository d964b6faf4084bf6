"""Shared test helpers, in one place: small hand-made deliveries (`deliveries`), tiny curated
lakes written straight from frames (`analytics_lake`, `reports_lake`), ingest subprocesses and
lake digests (`lake_runs`, `ingest_driver`), GX frames (`gx_frames`)."""
