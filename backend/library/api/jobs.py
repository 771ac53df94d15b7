"""/api/v1/jobs: the state and progress of background work (imports ...), and whether a worker is running."""

from flask.views import MethodView
from sqlalchemy import func, select

from ..authz import STAFF, access
from .. import i18n
from ..errors import PROBLEM_JSON, Conflict, ProblemSchema, request_language
from ..extensions import db
from ..i18n import label
from ..models import Job
from ..schemas.jobs import JobOut, WorkerStatusOut
from ..services import jobs
from .base import Blueprint

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Background jobs and the worker")


def get_job_or_404(job_id):
    return db.get_or_404(Job, job_id, description=f"No job with id {job_id}.")


def in_language(job: Job) -> dict:
    """The job as JobOut shows it, its error (stored in English, as the import's are) in the reader's language."""
    return {name: getattr(job, name) for name in JobOut().fields} | {
        "error": i18n.translate(job.error, request_language())}


@blp.route("/jobs/<id:job_id>")
class JobItem(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getJob")
    @blp.response(200, JobOut)
    def get(self, job_id):
        """A job's state, progress and outcome (poll it while it runs)"""
        return in_language(get_job_or_404(job_id))


@blp.route("/jobs/<id:job_id>/cancel")
class JobCancel(MethodView):
    @access(STAFF)
    @blp.doc(operationId="cancelJob")
    @blp.response(200, JobOut)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON, description="The job has finished")
    def post(self, job_id):
        """Cancel a job: a queued one at once, a running one at its next progress report (nothing of it is kept)"""
        job = get_job_or_404(job_id)
        if not jobs.request_cancel(job):
            raise Conflict(f"The job has already finished ({label('job state', job.state)}).")
        db.session.refresh(job)
        return in_language(job)


@blp.route("/worker")
class WorkerStatus(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getWorkerStatus")
    @blp.response(200, WorkerStatusOut)
    def get(self):
        """Whether a background worker is running (jobs wait in the queue until one is)"""
        running, last_seen_at = jobs.last_seen()
        queued = db.session.scalar(select(func.count()).select_from(Job).where(Job.state == "queued"))
        return {"running": running, "last_seen_at": last_seen_at, "queued": queued}
