#!/bin/sh
# Trigger a deploy of the status page on Render
RENDER_API_KEY=rnd_K74w0aoczMzcWndmqwqpaxNwJFBfQmBM
SERVICE_ID=srv-z0u6ydcv4lx00urr2qc6
curl -s -X POST "https://api.render.com/v1/services/$SERVICE_ID/deploys" \
  -H "Authorization: Bearer $RENDER_API_KEY" -H "Accept: application/json"
