"""Pure analysis of synced Canvas data: grade math, what-if, letters, explanations.

Nothing in this package performs I/O; callers pass data in and get values back.
"""
