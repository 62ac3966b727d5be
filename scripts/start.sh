#!/usr/bin/env bash
# Quick start: install, make sure PostgreSQL and Redis run, migrate, create a demo
# account the first time, then run the API and one worker in the foreground.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

require_node
resolve_pnpm

step "Installing dependencies"
run_pnpm install --frozen-lockfile

step "Checking PostgreSQL and Redis"
ensure_services

step "Generating the Prisma client and migrating the database"
run_pnpm db:generate
run_pnpm db:migrate

# --silent keeps pnpm's script banner out of the JSON we parse.
step "Demo account"
accounts="$(run_pnpm --silent salvo accounts list --json)" ||
  die "'pnpm salvo accounts list --json' failed"
demo_id="$(node -e '
  const accounts = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const demo = accounts.find((account) => account.name === "demo");
  process.stdout.write(demo ? String(demo.id) : "");' <<<"$accounts")" ||
  die "'pnpm salvo accounts list --json' did not print a JSON array: $accounts"

port="${PORT:-3000}"
if [[ -n "$demo_id" ]]; then
  echo "The demo account already exists ($demo_id); its token was shown when it was created."
  echo "For a new token: pnpm salvo tokens create --account $demo_id"
else
  created="$(run_pnpm --silent salvo accounts create --name demo --credits 1000 --json)" ||
    die "'pnpm salvo accounts create' failed"
  ids="$(node -e '
    const { account_id, token } = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (!account_id || !token) process.exit(1);
    process.stdout.write(`${account_id} ${token}`);' <<<"$created")" ||
    die "'pnpm salvo accounts create --json' did not print {\"account_id\",\"token\"}: $created"
  read -r demo_id token <<<"$ids"

  # The token is stored hashed: this is the only time anyone sees it.
  lines=(
    "Demo account $demo_id created with 1000 credits."
    "Its API token, shown only this once:"
    ""
    "  $token"
  )
  width=0
  for line in "${lines[@]}"; do
    if ((${#line} > width)); then width=${#line}; fi
  done
  border="+$(printf '%*s' $((width + 2)) '' | tr ' ' -)+"
  echo
  echo "$border"
  for line in "${lines[@]}"; do printf '| %-*s |\n' "$width" "$line"; done
  echo "$border"
  echo
  echo "Try it once the API is up:"
  echo
  echo "  TOKEN=$token"
  # shellcheck disable=SC2016 # $TOKEN is for the user's shell to expand.
  echo '  curl -H "Authorization: Bearer $TOKEN" http://localhost:'"$port"'/v1/account'
fi

step "Starting the API on port $port and one worker (Ctrl-C stops both)"
exec "${PNPM[@]}" start
