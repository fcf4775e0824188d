"""Notifications: preferences (pure validation), scheduling and rendering (pure), the Apprise
sender (the only module that calls Apprise) and the worker's outbox drain."""
