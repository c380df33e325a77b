"""In-process infrastructure every service uses: database and outbox, metrics, auth, clock, runner.

Nothing here is a contract between services (that is ``shared``); it is the plumbing each service
process would otherwise write again.
"""
