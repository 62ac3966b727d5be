#!/usr/bin/env bash
# Quick start: install, make sure PostgreSQL and Redis run, migrate, create a demo
# account the first time, build, then run the API and one worker in the
# foreground. Every step that is already up to date is skipped (and says so), so
# a second start takes seconds. Ctrl-C (SIGINT) or SIGTERM stops both gracefully
# and exits 0; if one of them stops on its own, the other is stopped and the
# script exits 1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# Enough for every example in the README (the largest sends 5,000 messages).
DEMO_CREDITS=100000
# How long the API and the worker may take to be ready before we say so.
READY_WAIT_SECONDS="${READY_WAIT_SECONDS:-120}"

require_node

step "Dependencies"
install_dependencies

step "Checking PostgreSQL and Redis"
ensure_services

step "Database"
run_package_script packages/db migrate

step "Demo account"
accounts="$(scripts/salvo accounts list --json)" ||
  die "'./scripts/salvo accounts list --json' failed"
demo_id="$(node -e '
  const accounts = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const demo = accounts.find((account) => account.name === "demo");
  process.stdout.write(demo ? String(demo.id) : "");' <<<"$accounts")" ||
  die "'./scripts/salvo accounts list --json' did not print a JSON array: $accounts"

token=""
admin_token=""
if [[ -n "$demo_id" ]]; then
  echo "The demo account exists already ($demo_id)."
else
  created="$(scripts/salvo accounts create --name demo --credits "$DEMO_CREDITS" --json)" ||
    die "'./scripts/salvo accounts create' failed"
  ids="$(node -e '
    const { account_id, token } = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (!account_id || !token) process.exit(1);
    process.stdout.write(`${account_id} ${token}`);' <<<"$created")" ||
    die "'./scripts/salvo accounts create --json' did not print {\"account_id\",\"token\"}: $created"
  read -r demo_id token <<<"$ids"
  # An operator's token for the admin routes (moderation, senders), made with the demo account.
  admin_created="$(scripts/salvo admin-tokens create --label demo --json)" ||
    die "'./scripts/salvo admin-tokens create' failed"
  admin_token="$(node -e '
    const { token } = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (!token) process.exit(1);
    process.stdout.write(token);' <<<"$admin_created")" ||
    die "'./scripts/salvo admin-tokens create --json' did not print {\"token\"}: $admin_created"
  echo "Created the demo account $demo_id; its token is shown once the API and the worker are ready."
fi

step "Bundles"
# Both at once: when nothing changed, each is only a check.
run_package_script apps/api build &
api_build=$!
run_package_script apps/worker build &
worker_build=$!
wait "$api_build" || die "bundling apps/api failed"
wait "$worker_build" || die "bundling apps/worker failed"

step "Web console"
build_console

port="${PORT:-3000}"
url="http://localhost:$port"
salvo_url=""
[[ "$port" == 3000 ]] || salvo_url="SALVO_URL=$url "

# The account and its token, shown once: after the services' startup logs, so
# that it is the last thing on the screen. The token is stored hashed: this is
# the only time anyone sees it, so every way out of this script shows it.
shown=0
show_demo_account() {
  ((shown == 0)) || return 0
  shown=1
  if [[ -z "$token" ]]; then
    echo "Demo account: $demo_id (its token was shown when it was created)."
    echo "The web console: $url/console/"
    echo "A new token: ./scripts/salvo tokens create --account $demo_id${DATABASE_URL:+ (with this DATABASE_URL)}"
    return 0
  fi
  local lines line width=0 border
  lines=(
    "Demo account $demo_id created with $DEMO_CREDITS credits."
    "Its API token, shown only this once:"
    ""
    "  $token"
    ""
    "An admin token (operators' routes, /v1/admin/...), only this once:"
    ""
    "  $admin_token"
    ""
    "The web console: $url/console/ (log in with either token)"
  )
  for line in "${lines[@]}"; do
    if ((${#line} > width)); then width=${#line}; fi
  done
  border="+$(printf '%*s' $((width + 2)) '' | tr ' ' -)+"
  echo
  echo "$border"
  for line in "${lines[@]}"; do printf '| %-*s |\n' "$width" "$line"; done
  echo "$border"
  echo
  echo "Try it, in another terminal:"
  echo
  echo "  TOKEN=$token"
  # shellcheck disable=SC2016 # $TOKEN is for the user's shell to expand.
  echo '  curl -H "Authorization: Bearer $TOKEN" '"$url"'/v1/account'
  # shellcheck disable=SC2016
  echo '  '"$salvo_url"'SALVO_TOKEN=$TOKEN ./scripts/salvo send --from ACME --body "Hello" --to 0612345678 --watch'
}

# The API and the worker run in process groups of their own (set -m), so that a
# Ctrl-C reaches this script only, which passes it on to each of them exactly
# once: a second signal ends a process at once, cutting its graceful shutdown
# short (which a second Ctrl-C does, on purpose).
api_pid=""
worker_pid=""
stopping=""
stop() {
  if [[ -z "$stopping" ]]; then
    printf '\n==> Stopping (SIG%s): the API and the worker finish what they hold; Ctrl-C again to force\n' "$1"
  fi
  stopping="$1"
  local pid
  for pid in "$api_pid" "$worker_pid"; do
    [[ -z "$pid" ]] || kill -s "$1" "$pid" 2>/dev/null || true
  done
}
trap 'stop INT' INT
trap 'stop TERM' TERM

alive() { kill -0 "$1" 2>/dev/null; }

# Sets status to a child's exit status, even when a signal for this script
# interrupts the wait (not in $(…): a subshell cannot wait for our children).
status=0
wait_for() {
  while :; do
    status=0
    wait "$1" || status=$?
    alive "$1" || break
  done
}

step "Starting the API on port $port and one worker (Ctrl-C stops both)"
set -m
(cd apps/api && exec node dist/main.js) </dev/null &
api_pid=$!
(cd apps/worker && exec node dist/main.js) </dev/null &
worker_pid=$!
set +m

# Ready: /readyz answers 200 (PostgreSQL and Redis answer the API) and counts a
# live worker. Gives up early when either process is gone.
node --input-type=module -e '
  const [url, seconds, ...pids] = process.argv.slice(1);
  const deadline = Date.now() + Number(seconds) * 1000;
  const alive = (pid) => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch {
      return false;
    }
  };
  for (;;) {
    if (!pids.every(alive)) process.exit(2);
    const ready = await fetch(url, { signal: AbortSignal.timeout(2000) })
      .then(async (response) => response.ok && (await response.json()).workers > 0)
      .catch(() => false);
    if (ready) process.exit(0);
    if (Date.now() > deadline) process.exit(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }' "http://127.0.0.1:$port/readyz" "$READY_WAIT_SECONDS" "$api_pid" "$worker_pid" &
poller=$!
ready=0
wait "$poller" || ready=$?
if [[ -n "$stopping" ]]; then
  kill "$poller" 2>/dev/null || true
elif ((ready == 0)); then
  step "Salvo is ready: the API on $url, one worker"
  show_demo_account
elif ((ready == 1)); then
  warn "the API and the worker are not ready after ${READY_WAIT_SECONDS}s ($url/readyz); see their logs above"
  show_demo_account
fi

# Runs until a signal for us (then `stopping` is set) or until either process
# ends on its own.
while [[ -z "$stopping" ]] && alive "$api_pid" && alive "$worker_pid"; do
  sleep 0.5 &
  wait $! || true
done

if [[ -z "$stopping" ]]; then
  if alive "$api_pid"; then
    dead=worker dead_pid=$worker_pid other_pid=$api_pid
  else
    dead=API dead_pid=$api_pid other_pid=$worker_pid
  fi
  wait_for "$dead_pid"
  dead_status=$status
  echo >&2
  warn "the $dead stopped on its own (exit code $dead_status; its log is above): stopping Salvo"
  stop TERM
  wait_for "$other_pid"
  show_demo_account
  die "Salvo stopped because the $dead did (exit code $dead_status)."
fi
wait_for "$api_pid"
api_status=$status
wait_for "$worker_pid"
worker_status=$status
show_demo_account
if ((api_status != 0 || worker_status != 0)); then
  die "Salvo stopped, not cleanly: the API exited with code $api_status, the worker with $worker_status (see their logs above)."
fi
echo "Salvo stopped."
