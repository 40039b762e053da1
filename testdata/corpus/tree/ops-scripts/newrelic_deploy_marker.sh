#!/usr/bin/env bash
# usage: newrelic_deploy_marker.sh <app-id> <revision>
set -euo pipefail
NEW_RELIC_API_KEY="${NEW_RELIC_API_KEY:-NRAK-W37LP61X1NKZB3778P694HE1CWR}"
curl -sS https://api.eu.newrelic.com/graphql \
  -H "API-Key: ${NEW_RELIC_API_KEY}" \
  -H 'Content-Type: application/json' \
  -d "{\"query\":\"mutation { changeTrackingCreateDeployment(deployment: {version: \\\"$2\\\", entityGuid: \\\"$1\\\"}) { deploymentId } }\"}"
