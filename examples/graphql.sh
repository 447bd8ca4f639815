#!/bin/sh
# The README's GraphQL calls with curl: create a hub, list the hubs, then delete the hub again so
# the script can run twice. Usage: TOKEN=… [BASE=http://localhost:8080] sh examples/graphql.sh
# (test/integration/examples.test.ts runs it against a test gateway.)
set -eu
BASE=${BASE:-http://localhost:8080}
: "${TOKEN:?export TOKEN=… first: npm start prints one}"

created=$(curl -s "$BASE/graphql" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"query":"mutation { createHub(input: {name: \"Support\", description: \"Customer support\", closeDormantConversation: 30}) { hubId name status } }"}')
printf '%s\n' "$created"
HUB_ID=$(printf '%s\n' "$created" | sed -n 's/.*"hubId":"\([^"]*\)".*/\1/p')
[ -n "$HUB_ID" ] || { echo 'createHub answered no hubId' >&2; exit 1; }

curl -s "$BASE/graphql" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"query":"{ hubs(pageNumber: 0, pageSize: 10) { total results { hubId name statusId createdAt } } }"}'

curl -s "$BASE/graphql" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"query":"mutation Remove($hubId: ID!) { deleteHub(hubId: $hubId) { hubId name } }","variables":{"hubId":"'"$HUB_ID"'"}}'
