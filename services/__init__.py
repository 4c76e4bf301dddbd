"""Django-free science and VO code of vocloud.

Nothing under ``services`` imports Django, reads environment variables or touches the
database: paths and callbacks arrive in a :class:`services.jobs.context.JobContext`.
"""
