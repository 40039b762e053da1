#!/bin/sh
set -e
export HEROKU_API_KEY=2872464c-6356-48d4-91be-4453e2023f8c
heroku container:login
heroku container:push web -a acme-monolith-legacy
heroku container:release web -a acme-monolith-legacy
