"""This process's id, kept current across forks by a hook (os.register_at_fork) rather than asked for with
os.getpid(), which is a system call (glibc keeps no copy): the response cache (cache.py) checks it on every read,
and prometheus' multiprocess values (metrics.py) on every count, four times a request."""

import os

pid = os.getpid()


def _forked():
    global pid
    pid = os.getpid()


def current() -> int:
    """This process's id (os.getpid(), without the system call)."""
    return pid


os.register_at_fork(after_in_child=_forked)
