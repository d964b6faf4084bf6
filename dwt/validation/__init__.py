"""Row- and file-level validation of typed frames, generated from `schemas/`.

`rules` (pure) turns a schema into value-free rules, `prepare` (pure) builds the frame GX
sees (identifiers replaced by validity flags), `suites` turns rules into GX 1.x expectations,
`runner` runs them with one GX context per process, `crosscheck` (pure) checks references
against the region's placements. Only `suites` and `runner` import great_expectations, and
only when called: importing this package stays cheap.
"""
