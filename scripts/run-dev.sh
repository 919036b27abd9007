#!/usr/bin/env bash
# `make run`: the application as production runs it, on one machine, for development and demos.
#
#   Redis (our own, on a free local port) <- Celery worker + Celery beat <- the web server
#
# 1. starts redis-server on a free port in $RUN_DIR (no persistence), or uses the one on 6379
#    (database 2) when redis-server is not installed but that one answers;
# 2. migrates and loads the demo data into SQLite ($RUN_DB, default db.sqlite3) and prints the logins;
# 3. starts a Celery worker (solo pool) and Celery beat in the background, logs in $RUN_DIR;
# 4. serves on $HOST:$PORT with runserver (production uses gunicorn, see README).
#
# Ctrl-C (SIGINT) or SIGTERM stops the web server, the worker, beat and the Redis it started.
#
# Environment: HOST (127.0.0.1), PORT (8000), RUN_DIR (.run), RUN_DB (db.sqlite3),
# PYTHON (.venv/bin/python). DATABASE_URL and REDIS_URL from the shell are ignored on purpose.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
RUN_DIR=${RUN_DIR:-$ROOT/.run}
RUN_DB=${RUN_DB:-$ROOT/db.sqlite3}
PY=${PYTHON:-$ROOT/.venv/bin/python}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)

unset DATABASE_URL_FILE REDIS_URL_FILE
export DATABASE_URL="sqlite:///$RUN_DB"
export DEBUG=true
export PYTHONUNBUFFERED=1

# Each service runs in its own session (setsid), so it is stopped as a whole group (runserver's
# reloader child, a worker's pool) by the trap below, and a Ctrl-C in the terminal reaches only
# this script, which then stops them in order.
declare -a PIDS=()
declare -a NAMES=()

stop_all() {
    local status=$?
    trap - INT TERM EXIT
    local i pid
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        if kill -0 "$pid" 2>/dev/null; then
            echo "Stopping ${NAMES[i]} (pid $pid)"
            kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    # Wait up to 10 s for each, then kill what is left.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    rm -f "$RUN_DIR"/*.pid
    echo "Stopped."
    exit "$status"
}
trap 'exit 130' INT
trap 'exit 143' TERM
trap stop_all EXIT

start() {  # start NAME LOGFILE COMMAND...: in the background, in its own session ("-": our output)
    local name=$1 log=$2
    shift 2
    if [ "$log" = - ]; then
        setsid "$@" &
    else
        setsid "$@" >>"$log" 2>&1 &
    fi
    PIDS+=("$!")
    NAMES+=("$name")
    echo "$!" >"$RUN_DIR/$name.pid"
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- leftovers of a run that was killed without its trap (kill -9): their pid files are still here --
for pidfile in "$RUN_DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
        grep -qE 'redis-server|celery -A suizhou_credit|manage\.py runserver'; then
        echo "Stopping $(basename "$pidfile" .pid) left over from an earlier run (pid $pid)"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$pidfile"
done

# --- Redis ---------------------------------------------------------------------------------------
if command -v redis-server >/dev/null 2>&1; then
    REDIS_PORT=${REDIS_PORT:-$(free_port)}
    start redis "$RUN_DIR/redis.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
        --save '' --appendonly no --daemonize no --dir "$RUN_DIR"
    REDIS_URL_RUN="redis://127.0.0.1:$REDIS_PORT/0"
    for _ in $(seq 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "redis-server did not start, see $RUN_DIR/redis.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "Redis on 127.0.0.1:$REDIS_PORT (log $RUN_DIR/redis.log)"
elif (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    REDIS_URL_RUN="redis://127.0.0.1:6379/2"
    echo "redis-server is not installed; using the Redis on 127.0.0.1:6379, database 2"
else
    echo "redis-server is missing: sudo apt-get install -y redis-server (make install does it as root)" >&2
    exit 1
fi

# --- database and demo data (tasks run in-process here, so the demo is complete when we serve) ----
env -u REDIS_URL "$PY" manage.py migrate --noinput
env -u REDIS_URL "$PY" manage.py seed_demo

export REDIS_URL=$REDIS_URL_RUN

# --- Celery ------------------------------------------------------------------------------------------
start worker "$RUN_DIR/worker.log" "$PY" -m celery -A suizhou_credit worker --pool=solo --loglevel=INFO \
    --hostname "dev-worker-$PORT@%h"
start beat "$RUN_DIR/beat.log" "$PY" -m celery -A suizhou_credit beat --loglevel=INFO \
    --schedule "$RUN_DIR/celerybeat-schedule"
echo "Celery worker and beat on $REDIS_URL (logs $RUN_DIR/worker.log, $RUN_DIR/beat.log)"

# --- web ---------------------------------------------------------------------------------------------
echo "Serving on http://$HOST:$PORT/  (admin: http://$HOST:$PORT/admin/)  Ctrl-C stops everything."
start web - "$PY" manage.py runserver "$HOST:$PORT"
# `wait` returns as soon as a trapped signal arrives; the EXIT trap then stops everything.
set +e
wait "${PIDS[-1]}"
status=$?
set -e
echo "The web server stopped (status $status)." >&2
exit "$status"
