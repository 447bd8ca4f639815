#!/bin/sh
# The README's REST calls with curl, in order: create, list, read, update, delete (so the script
# can run twice). Usage: TOKEN=… [BASE=http://localhost:8080] sh examples/rest.sh
# (test/integration/examples.test.ts runs it against a test gateway.)
set -eu
BASE=${BASE:-http://localhost:8080}
: "${TOKEN:?export TOKEN=… first: npm start prints one}"

B=$BASE/api/v1/hubs; H="Authorization: Bearer $TOKEN"
created=$(curl -s -X POST "$B" -H "$H" -H 'Content-Type: application/json' \
  -d '{"name": "Your New Cool Hub Name", "description": "This hub is cool", "closeDormantConversation": 30, "statusId": 2000}')
printf '%s\n' "$created"
HUB_ID=$(printf '%s\n' "$created" | sed -n 's/.*"hubId":"\([^"]*\)".*/\1/p')
[ -n "$HUB_ID" ] || { echo 'POST answered no hubId' >&2; exit 1; }

curl -s "$B?pageNumber=0&pageSize=10" -H "$H"; echo
curl -s "$B/$HUB_ID" -H "$H"; echo
curl -s -X PUT "$B/$HUB_ID" -H "$H" -H 'Content-Type: application/json' -d '{"statusId": 2002}'; echo
curl -s -X DELETE "$B/$HUB_ID" -H "$H"; echo
