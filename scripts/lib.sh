#!/usr/bin/env bash
# Helpers shared by scripts/start.sh and scripts/test.sh; meant to be sourced, not run.
# Sourcing it moves to the repository root, so callers can use repo-relative paths.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

# The apps use the same defaults when these are unset (apps/*/src/env.ts).
DEFAULT_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/salvo"
DEFAULT_REDIS_URL="redis://127.0.0.1:6379"
# How long to wait for a server we just started before giving up.
SERVICE_WAIT_SECONDS="${SERVICE_WAIT_SECONDS:-20}"

step() { printf '\n==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Node >= 20.19: the workspace relies on require(esm) and the engines field says so.
require_node() {
  if ! command -v node >/dev/null 2>&1; then
    die "Node.js >= 20.19 is required and 'node' is not on PATH.
  Install Node.js 20 (20.19 or newer) or 22 from https://nodejs.org/ or with nvm: nvm install 20
  (Debian bookworm's own 'nodejs' package is 18, too old.)"
  fi
  local version
  version="$(node -p 'process.versions.node')"
  if ! node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1);'; then
    die "Node.js >= 20.19 is required; $(command -v node) is $version.
  Install Node.js 20.19+ from https://nodejs.org/ or with nvm: nvm install 20"
  fi
}

# Sets PNPM to the command that runs the pnpm version pinned in package.json's
# "packageManager": a pnpm on PATH only if it is exactly that version (another
# version may resolve or lay out node_modules differently), otherwise npx fetches
# it from the npm registry into npm's cache. Nothing is installed globally, and
# corepack is not used because it fails on our machines.
PNPM=()
resolve_pnpm() {
  local wanted found=""
  ((${#PNPM[@]} == 0)) || return 0
  wanted="$(node -p 'String(require("./package.json").packageManager ?? "")' | sed -e 's/^pnpm@//' -e 's/+.*$//')"
  [[ "$wanted" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] ||
    die "package.json has no \"packageManager\": \"pnpm@<version>\" to pin pnpm with."
  if command -v pnpm >/dev/null 2>&1; then
    # Asked from / so a pnpm that manages its own version does not switch to the
    # pinned one and hide what it really is.
    found="$(cd / && pnpm --version 2>/dev/null || true)"
  fi
  if [[ "$found" == "$wanted" ]]; then
    PNPM=(pnpm)
  else
    command -v npx >/dev/null 2>&1 || die "npx (part of npm) is needed to run pnpm@$wanted; reinstall Node.js with npm."
    if [[ -n "$found" ]]; then
      echo "pnpm on PATH is $found, this repository pins $wanted: using npx --yes pnpm@$wanted"
    fi
    PNPM=(npx --yes "pnpm@$wanted")
  fi
}
run_pnpm() {
  resolve_pnpm
  "${PNPM[@]}" "$@"
}

# Prints one hash of the named files' contents (a missing file counts as empty)
# and of Node's major version, to tell whether anything among them changed.
hash_files() {
  node -e '
    const { createHash } = require("crypto");
    const fs = require("fs");
    const hash = createHash("sha256").update(`node ${process.versions.node.split(".")[0]}\0`);
    for (const file of process.argv.slice(1)) {
      hash.update(`${file}\0`);
      if (fs.existsSync(file)) hash.update(fs.readFileSync(file));
      hash.update("\0");
    }
    process.stdout.write(hash.digest("hex"));' "$@"
}

# `pnpm install`, unless nothing it reads changed since the last install made
# here: the stamp keeps a hash of the lockfile, the workspace and npm settings
# and every package.json. It lives in node_modules, so removing that reinstalls.
INSTALL_STAMP=node_modules/.salvo-install
install_dependencies() {
  local inputs
  inputs="$(hash_files pnpm-lock.yaml pnpm-workspace.yaml .npmrc package.json apps/*/package.json packages/*/package.json)"
  if [[ -f node_modules/.modules.yaml && "$(cat "$INSTALL_STAMP" 2>/dev/null)" == "$inputs" ]]; then
    echo "Skipped pnpm install: pnpm-lock.yaml and the package.json files are unchanged since the last install."
    return 0
  fi
  run_pnpm install --frozen-lockfile
  echo "$inputs" >"$INSTALL_STAMP"
}

# Runs a package's script from its package.json the way pnpm would (in its
# folder, with the package's and the root's node_modules/.bin on PATH), without
# pnpm: starting pnpm through npx costs seconds.
run_package_script() {
  local dir="$1" name="$2" script
  script="$(node -p 'require(`./${process.argv[1]}/package.json`).scripts?.[process.argv[2]] ?? ""' "$dir" "$name")"
  [[ -n "$script" ]] || die "$dir/package.json has no \"$name\" script"
  (cd "$dir" && PATH="$PWD/node_modules/.bin:$REPO_ROOT/node_modules/.bin:$PATH" sh -c "$script")
}

# Prints "host port" for a service URL, with the scheme's default port.
url_host_port() {
  local url="$1" default_port="$2" name="$3"
  node -e '
    const [url, defaultPort] = process.argv.slice(1);
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
    process.stdout.write(`${host} ${u.port || defaultPort}\n`);' "$url" "$default_port" 2>/dev/null ||
    die "$name is not a valid URL: $url"
}

# A plain TCP connect: enough to know a server listens, without psql or redis-cli.
tcp_reachable() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

wait_reachable() {
  local host="$1" port="$2" deadline=$((SECONDS + SERVICE_WAIT_SECONDS))
  until tcp_reachable "$host" "$port"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

is_local_host() {
  case "$1" in
  localhost | 127.* | ::1 | 0.0.0.0) return 0 ;;
  *) return 1 ;;
  esac
}

is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a start command, or, when it needs root and we are not, records it as the
# command for the user to run: we never call sudo ourselves.
STARTED=0
HINTS=()
run_as() {
  local owner="$1"
  shift
  if is_root || [[ "$(id -un)" == "$owner" ]]; then
    echo "+ $*"
    if "$@"; then STARTED=1; else warn "'$*' failed"; fi
  else
    HINTS+=("sudo $*")
  fi
}

# Starts the local PostgreSQL clusters configured for the wanted port (Debian's
# pg_ctlcluster, --skip-systemctl-redirect so it also works without systemd),
# falling back to the init system when there are no clusters to look at.
start_postgres() {
  local port="$1" ver name cport status owner rest
  if command -v pg_lsclusters >/dev/null 2>&1 && [[ -n "$(pg_lsclusters --no-header 2>/dev/null)" ]]; then
    # The list comes in on fd 3 so that pg_ctlcluster cannot swallow it from stdin.
    while read -r ver name cport status owner rest <&3; do
      [[ "$cport" == "$port" && "$status" == down* ]] || continue
      run_as "$owner" pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
    done 3< <(pg_lsclusters --no-header)
  elif [[ -x /etc/init.d/postgresql ]] && command -v service >/dev/null 2>&1; then
    run_as root service postgresql start
  elif [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    run_as root systemctl start postgresql
  fi
}

# Starts a throwaway local Redis on the standard port: no persistence, because
# the tests and the quick start only need a server, not its data. Its pid and log
# files go to the temp dir, which any user can write (unlike /var/run).
start_redis() {
  local port="$1" files="${TMPDIR:-/tmp}/salvo-redis"
  # A custom port usually means a Redis someone else manages: leave it alone.
  [[ "$port" == 6379 ]] || return 0
  if command -v redis-server >/dev/null 2>&1; then
    echo "+ redis-server --daemonize yes --bind 127.0.0.1 -::1 --port $port --save \"\" --appendonly no"
    if redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
      --dir "${TMPDIR:-/tmp}" --pidfile "$files.pid" --logfile "$files.log"; then
      STARTED=1
      echo "  (stop it with: redis-cli -p $port shutdown; log: $files.log)"
    else
      warn "redis-server failed to start; see $files.log"
    fi
  elif [[ -x /etc/init.d/redis-server ]] && command -v service >/dev/null 2>&1; then
    run_as root service redis-server start
  fi
}

# What to tell the user when a service stays unreachable. Debian/Ubuntu package
# names; Docker is the way out on any other system.
postgres_help() {
  local host="$1" port="$2" clusters
  echo "PostgreSQL is not reachable at $host:$port (from DATABASE_URL)."
  if ! is_local_host "$host"; then
    echo "  - It is not on this machine: start it there, or point DATABASE_URL at a PostgreSQL >= 15."
  elif command -v pg_lsclusters >/dev/null 2>&1; then
    clusters="$(pg_lsclusters --no-header 2>/dev/null || true)"
    if [[ -z "$clusters" ]]; then
      echo "  - Create and start a cluster:  pg_createcluster --start 15 main"
    elif ! awk -v p="$port" '$3 == p { found = 1 } END { exit !found }' <<<"$clusters"; then
      echo "  - No local cluster uses port $port. These do (version, name, port, status):"
      awk '{ print "      " $1, $2, $3, $4 }' <<<"$clusters"
      echo "    Point DATABASE_URL at one, e.g. postgresql://postgres@127.0.0.1:$(awk 'NR == 1 { print $3 }' <<<"$clusters")/salvo"
    else
      awk -v p="$port" '$3 == p {
        print "  - Start it (as root or " $5 "):  pg_ctlcluster --skip-systemctl-redirect " $1 " " $2 " start" }' <<<"$clusters"
      echo "    or:  service postgresql start   /   systemctl start postgresql"
    fi
  elif command -v postgres >/dev/null 2>&1 || [[ -d /usr/lib/postgresql ]]; then
    echo "  - Start it:  service postgresql start   /   systemctl start postgresql"
  else
    echo "  - Install it (Debian/Ubuntu):  apt-get install postgresql   (PostgreSQL >= 15)"
    echo "    then start it:              pg_ctlcluster --skip-systemctl-redirect <version> main start"
  fi
  echo "  - Or run it with Docker:  docker compose up -d postgres"
}

redis_help() {
  local host="$1" port="$2"
  echo "Redis is not reachable at $host:$port (from REDIS_URL)."
  if ! is_local_host "$host"; then
    echo "  - It is not on this machine: start it there, or point REDIS_URL at a Redis >= 7."
    echo "  - Or run it with Docker:  docker compose up -d redis"
    return
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "  - Install it (Debian/Ubuntu):  apt-get install redis-server   (Redis >= 7)"
  elif [[ "$port" != 6379 ]]; then
    echo "  - Only a Redis on the standard port 6379 is started automatically."
  fi
  echo "  - Start it:  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port $port --save \"\" --appendonly no"
  [[ "$port" != 6379 ]] || echo "    or:  service redis-server start"
  echo "  - Or run it with Docker:  docker compose up -d redis"
}

# Makes sure PostgreSQL and Redis answer on the addresses the apps will use:
# starts a stopped local server where it can, and otherwise explains, for every
# missing service at once, what to install or run, then fails.
ensure_services() {
  local pg pg_host pg_port redis redis_host redis_port service missing=()
  pg="$(url_host_port "${DATABASE_URL:-$DEFAULT_DATABASE_URL}" 5432 DATABASE_URL)"
  redis="$(url_host_port "${REDIS_URL:-$DEFAULT_REDIS_URL}" 6379 REDIS_URL)"
  read -r pg_host pg_port <<<"$pg"
  read -r redis_host redis_port <<<"$redis"
  HINTS=()

  if ! ensure_one PostgreSQL "$pg_host" "$pg_port" start_postgres; then missing+=(postgres); fi
  if ! ensure_one Redis "$redis_host" "$redis_port" start_redis; then missing+=(redis); fi
  ((${#missing[@]} == 0)) && return 0

  echo >&2
  for service in "${missing[@]}"; do
    if [[ "$service" == postgres ]]; then
      postgres_help "$pg_host" "$pg_port" >&2
    else
      redis_help "$redis_host" "$redis_port" >&2
    fi
  done
  if ((${#HINTS[@]} > 0)); then
    echo "Starting the local server needs root; run:" >&2
    printf '  %s\n' "${HINTS[@]}" >&2
  fi
  die "missing service(s): ${missing[*]}"
}

ensure_one() {
  local name="$1" host="$2" port="$3" starter="$4"
  if tcp_reachable "$host" "$port"; then
    echo "$name: reachable at $host:$port"
    return 0
  fi
  is_local_host "$host" || return 1
  STARTED=0
  echo "$name: nothing listens on $host:$port"
  "$starter" "$port"
  ((STARTED)) || return 1
  if wait_reachable "$host" "$port"; then
    echo "$name: started, reachable at $host:$port"
    return 0
  fi
  warn "$name was started but did not answer on $host:$port within ${SERVICE_WAIT_SECONDS}s"
  return 1
}

# The real peers the connectors' tests talk to: Kannel (bearerbox, smsbox and its
# fakesmsc) and Net::SMPP's example SMSC, and Chromium for the console's browser
# tests (driven by playwright-core). Installed from Debian's packages when
# missing and this user may (root, or sudo without a password); otherwise the
# tests that need them say why they skip.
TEST_PEER_PACKAGES=(kannel kannel-extras libnet-smpp-perl chromium)
ensure_test_peers() {
  local missing=() package
  for package in "${TEST_PEER_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if ((${#missing[@]} == 0)); then
    echo "Kannel, the SMPP test SMSC and Chromium are installed."
    return 0
  fi
  local as_root=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      echo "Not installing ${missing[*]} (needs root): the tests that need them will say they skip."
      return 0
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Not installing ${missing[*]}: no apt-get here; the tests that need them will say they skip."
    return 0
  fi
  echo "Installing ${missing[*]} (apt-get)…"
  "${as_root[@]}" apt-get update -qq >/dev/null 2>&1 || true
  if ! DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null; then
    echo "apt-get could not install ${missing[*]}: the tests that need them will say they skip."
  fi
  # Debian starts bearerbox and smsbox as a service on install: the tests run their own.
  if command -v service >/dev/null 2>&1; then "${as_root[@]}" service kannel stop >/dev/null 2>&1 || true; fi
}

# Builds the web console (apps/console/dist, served by the API at /console)
# unless nothing it is built from changed since the last build: the stamp in
# dist/ keeps a hash of its sources, its package.json and the lockfile.
build_console() {
  local inputs stamp=apps/console/dist/.salvo-build
  # shellcheck disable=SC2046 # one argument per file
  inputs="$(hash_files pnpm-lock.yaml packages/core/src/segments.ts $(find apps/console/src apps/console/index.html \
    apps/console/package.json apps/console/vite.config.ts apps/console/scripts -type f | sort))"
  if [[ -f apps/console/dist/index.html && "$(cat "$stamp" 2>/dev/null)" == "$inputs" ]]; then
    echo "Skipped the console build: its sources are unchanged since the last build."
    return 0
  fi
  run_package_script apps/console build || die "building the web console (apps/console) failed"
  echo "$inputs" >"$stamp"
}
