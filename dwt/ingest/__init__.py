"""Raw deliveries -> validated, pseudonymised, curated Parquet."""
