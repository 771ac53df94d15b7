"""The periodic tasks and job kinds the worker knows: importing this module registers them (services/jobs.py).

Holds past their pickup date are not expired here: they stay on the hold shelf list, marked to clear, until staff
clear them, because a person has to move each copy (services/holdshelf.py). `flask --app library expire-holds`
clears them all for a library that wants that from cron.
"""

from . import imports, jobs  # noqa: F401 - the registry the task modules add to; imports registers the import jobs
