"""The worker's loop: `flask --app library worker` runs periodic tasks and jobs until SIGTERM or Ctrl-C.

Any number of workers may run at once (on one machine or several): services/jobs.py decides who does what
through the database. A stop signal lets the current job reach its next progress report, where it stops
(and is queued again, or failed with its clean-up done); a second signal stops at once.
"""

import logging
import signal
import threading
import time
from pathlib import Path

from .. import clock
from . import jobs, tasks  # noqa: F401 - tasks registers the periodic tasks and job kinds

log = logging.getLogger("library.worker")
# A database write every round would change the database's version every second and so empty the response
# cache (library/cache.py) as often: the sign of life in the database is written every BEAT_EVERY seconds, and
# an idle round writes nothing at all.
BEAT_EVERY = 15


class Worker:
    def __init__(self, app, poll: float = 1.0, beat_file: str | None = None):
        self.app, self.poll, self.beat_file = app, poll, beat_file
        self.owner = jobs.new_owner()
        self.stop_event = threading.Event()
        self._touched = self._beaten = -1e9

    def stopping(self) -> bool:
        """Asked at each progress report of a running job: also a sign of life during a long job."""
        self.touch_beat_file()
        return self.stop_event.is_set()

    def touch_beat_file(self) -> None:
        if self.beat_file and time.monotonic() - self._touched > 5:
            Path(self.beat_file).touch()
            self._touched = time.monotonic()

    def stop(self, *_args):
        if self.stop_event.is_set():
            raise KeyboardInterrupt  # a second signal: stop now
        log.info("worker %s stopping", self.owner)
        self.stop_event.set()

    def tick(self) -> int:
        """One round: sign of life, due periodic tasks, pollers (the notices' sender), then queued jobs until none is left. Returns jobs run."""
        ran = 0
        self.touch_beat_file()  # for a container's healthcheck: its mtime says this process is going round
        with self.app.app_context():
            if time.monotonic() - self._beaten > BEAT_EVERY:
                jobs.beat(self.owner, self.started_at)
                self._beaten = time.monotonic()
            jobs.run_due(self.owner)
            jobs.run_pollers(self.owner, self.stopping)
            while not self.stopping():
                job = jobs.claim(self.owner)
                if job is None:
                    break
                log.info("job %s (%s) started", job.id, job.kind)
                state = jobs.run(job, self.owner, self.stopping)
                log.info("job %s (%s) %s", job.id, job.kind, state)
                ran += 1
        return ran

    def run(self, once: bool = False) -> None:
        with self.app.app_context():
            self.started_at = clock.now()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.stop)
        log.info("worker %s started", self.owner)
        try:
            while not self.stopping():
                try:
                    self.tick()
                except Exception:  # the database away for a moment: log, wait, go on
                    log.exception("worker round failed; retrying")
                if once:
                    break
                self.stop_event.wait(self.poll)
        finally:
            with self.app.app_context():
                try:
                    jobs.gone(self.owner)
                except Exception:
                    log.warning("could not record that worker %s stopped", self.owner)
            log.info("worker %s stopped", self.owner)
