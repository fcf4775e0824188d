"""Fetching a user's Canvas data and writing it to the cache."""
