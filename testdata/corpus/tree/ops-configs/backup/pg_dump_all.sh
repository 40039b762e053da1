#!/usr/bin/env bash
# nightly logical backup of the reporting DBs
set -euo pipefail
export PGPASSWORD='nsyM5i*Fx7sI^WqKaHyAP93YBU'
for db in reports metabase; do
  pg_dump -h reporting.acme-corp.net -U backup -Fc "$db" > "/backups/${db}-$(date +%F).dump"
done
mongodump --uri "mongodb+srv://backup:G06UMo8djZxFvcBZNj1uRVgP@cluster0.d8ijm.mongodb.net/events" --out /backups/mongo-$(date +%F)
aws s3 sync /backups s3://acme-backups-logical/ --storage-class STANDARD_IA
