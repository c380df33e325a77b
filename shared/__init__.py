"""The contract between the services and their clients.

Only what crosses a service boundary lives here: the vocabulary (statuses, roles), event names and
payload schemas, error types, configuration, tokens and the RPC client. No service keeps its own
state here and no module here talks to a database.
"""
