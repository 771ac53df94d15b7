#!/bin/sh
# Container start: apply database migrations, make sure an admin exists, then replace this shell
# with gunicorn.
set -eu

# gunicorn reads WEB_CONCURRENCY before its config file and fails on an empty value;
# unset, gunicorn.conf.py picks min(2 x cores + 1, 8).
if [ -z "${WEB_CONCURRENCY:-}" ]; then
    unset WEB_CONCURRENCY
fi

# An empty LIBRARY_ADMIN_PASSWORD (compose passes "" when .env leaves it unset) means: generate one.
if [ -z "${LIBRARY_ADMIN_PASSWORD:-}" ]; then
    unset LIBRARY_ADMIN_PASSWORD
fi

flask --app library db upgrade
# No default accounts: on the first start this creates the first admin (LIBRARY_ADMIN_EMAIL) and, unless
# LIBRARY_ADMIN_PASSWORD is set, prints a generated password once (`docker compose logs backend`).
# Once an admin exists it does nothing.
flask --app library ensure-admin
# The server has no use for the password: keep it out of the workers' environment.
unset LIBRARY_ADMIN_PASSWORD
exec gunicorn -c gunicorn.conf.py 'library:create_app()'
