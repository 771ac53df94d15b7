"""Background job schemas."""

import marshmallow as ma
from marshmallow import fields

from ..models.jobs import JOB_STATES


class JobOut(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "What the job does, e.g. import"})
    state = fields.String(required=True, metadata={"enum": list(JOB_STATES)})
    progress_done = fields.Integer(required=True)
    progress_total = fields.Integer(allow_none=True, required=True, metadata={"description": "null: not known yet"})
    result = fields.Dict(allow_none=True, required=True, metadata={"description": "The outcome, when done"})
    error = fields.String(allow_none=True, required=True, metadata={"description": "Why it failed or stopped"})
    attempts = fields.Integer(required=True)
    cancel_requested = fields.Boolean(required=True)
    created_at = fields.AwareDateTime(required=True)
    started_at = fields.AwareDateTime(allow_none=True, required=True)
    finished_at = fields.AwareDateTime(allow_none=True, required=True)


class WorkerStatusOut(ma.Schema):
    running = fields.Integer(required=True, metadata={"description": "Workers seen in the last 45 seconds"})
    last_seen_at = fields.AwareDateTime(allow_none=True, required=True,
                                        metadata={"description": "When any worker was last seen (null: never)"})
    queued = fields.Integer(required=True, metadata={"description": "Jobs waiting for a worker"})
