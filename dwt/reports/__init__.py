"""Durability reports for lectors (`dwt report`): one Dutch HTML + PDF per region, an overview
of all regions and an index. Every figure passes disclosure control (`dwt.release`)
in `build` before any renderer sees it; renderers are handed the curated path only.
"""
