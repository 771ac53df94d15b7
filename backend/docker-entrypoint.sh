#!/bin/sh
# Container start: apply database migrations, then replace this shell with gunicorn.
set -eu

# gunicorn reads WEB_CONCURRENCY before its config file and fails on an empty value;
# unset, gunicorn.conf.py picks min(2 x cores + 1, 8).
if [ -z "${WEB_CONCURRENCY:-}" ]; then
    unset WEB_CONCURRENCY
fi

flask --app library db upgrade
exec gunicorn -c gunicorn.conf.py 'library:create_app()'
