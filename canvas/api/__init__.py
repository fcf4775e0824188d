"""Everything that speaks HTTP to Canvas lives in this package."""
