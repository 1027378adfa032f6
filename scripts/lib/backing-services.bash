# The backing services that scripts/test and scripts/run start for themselves:
# a private PostgreSQL cluster and the embedded Kafka broker (faultline-devbroker).
# Sourced by those scripts, never run on its own.

# Debian keeps the server binaries (initdb, pg_ctl) off PATH, under
# /usr/lib/postgresql/<version>/bin. pg_config usually names that directory, but
# not when libpq-dev comes from a newer major version than the server.
pg_find_bindir() {
  local dir
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [[ ! -x "$dir/initdb" || ! -x "$dir/pg_ctl" ]]; then
    dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  if [[ ! -x "$dir/initdb" || ! -x "$dir/pg_ctl" ]]; then
    echo "error: cannot find initdb and pg_ctl (is the postgresql package installed? run scripts/setup)" >&2
    return 1
  fi
  PG_BIN=$dir
}

# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` system user (created by the postgresql package).
pg_as_owner() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# pg_own_dir DIR: creates DIR for the cluster, owned by whoever runs the server.
pg_own_dir() {
  local dir=$1
  mkdir -p "$dir"
  if [[ $EUID -eq 0 ]]; then
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "error: the postgres user cannot reach $dir (a parent directory is private);" \
        "move the checkout somewhere world-readable, or run as a normal user" >&2
      return 1
    fi
  fi
}

# pg_init DIR: a new cluster in DIR/data whose superuser is `faultline`, trusted
# on loopback (it is private and only listens on 127.0.0.1 and in DIR). Extra
# arguments go to initdb.
pg_init() {
  local dir=$1
  shift
  pg_own_dir "$dir"
  if ! pg_as_owner "$PG_BIN/initdb" -D "$dir/data" --auth=trust -U faultline -E UTF8 --locale=C "$@" \
    >"$dir/initdb.log" 2>&1; then
    echo "error: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    return 1
  fi
}

# pg_start DIR PORT [SETTING=VALUE...]: starts the cluster in DIR/data on
# 127.0.0.1:PORT with its socket in DIR and waits until it accepts connections.
# The server log is DIR/server.log.
pg_start() {
  local dir=$1 port=$2 setting
  shift 2
  local options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir'"
  for setting in "$@"; do options+=" -c $setting"; done
  if ! pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$options" -w -t 60 start \
    >/dev/null; then
    echo "error: PostgreSQL did not start; the end of $dir/server.log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    return 1
  fi
}

pg_is_running() {
  [[ -f "$1/data/postmaster.pid" ]] && pg_as_owner "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

# pg_start_throwaway DIR: a cluster in DIR tuned for tests (no durability),
# on a free port (retried if someone takes it first); sets PG_PORT.
pg_start_throwaway() {
  local dir=$1
  pg_find_bindir
  pg_init "$dir" --no-sync
  for _ in 1 2 3; do
    PG_PORT=$(free_port)
    if pg_start "$dir" "$PG_PORT" fsync=off synchronous_commit=off full_page_writes=off max_connections=200; then
      return 0
    fi
    echo "retrying on another port" >&2
  done
  return 1
}

# pg_restart DIR: a fast restart (sessions cut, as a crash or failover would),
# with the options the server was started with.
pg_restart() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -m fast -w -t 60 restart >/dev/null
}

# pg_stop DIR MODE: stops the cluster if it runs (MODE: fast, immediate).
pg_stop() {
  if pg_is_running "$1"; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$1/data" -m "$2" -w stop >/dev/null || true
  fi
}

# A random loopback port that nothing listens on right now, below the kernel's
# ephemeral range (where every outgoing connection takes a port, so a port
# found free there is soon taken). Another process can still take it before we
# do, so callers retry when the server fails to start.
free_port() {
  local port low=32768
  [[ -r /proc/sys/net/ipv4/ip_local_port_range ]] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  ((low > 12000)) || low=32768
  for _ in {1..50}; do
    port=$((10000 + RANDOM % (low - 10000)))
    # A refused connection means the port is free.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "error: found no free TCP port" >&2
  return 1
}

# devbroker_start BINARY BOOTSTRAP_FILE LOG_FILE: starts the embedded broker in
# the background and waits for the bootstrap list it writes. Sets DEVBROKER_PID
# and DEVBROKER_BOOTSTRAP. setsid keeps Ctrl-C in the terminal away from it, so
# the caller decides when it stops (after the services that use it).
devbroker_start() {
  local binary=$1 file=$2 log=$3 tries
  rm -f "$file"
  setsid "$binary" --bootstrap-file "$file" >"$log" 2>&1 &
  DEVBROKER_PID=$!
  for ((tries = 0; tries < 300; tries++)); do
    if [[ -s "$file" ]]; then
      # shellcheck disable=SC2034 # read by the caller
      DEVBROKER_BOOTSTRAP=$(head -n 1 "$file")
      return 0
    fi
    if ! kill -0 "$DEVBROKER_PID" 2>/dev/null; then
      echo "error: faultline-devbroker exited; its log:" >&2
      cat "$log" >&2
      DEVBROKER_PID=
      return 1
    fi
    sleep 0.1
  done
  echo "error: faultline-devbroker wrote no bootstrap list to $file within 30 s; its log:" >&2
  cat "$log" >&2
  return 1
}

# await_exit PID [SECONDS]: waits for a process we signalled, and SIGKILLs it if
# it has not exited in time (default 20 s).
await_exit() {
  local pid=$1 deadline=$((SECONDS + ${2:-20}))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "warning: process $pid did not stop in time; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

devbroker_stop() {
  if [[ -n "${DEVBROKER_PID:-}" ]]; then
    kill -TERM "$DEVBROKER_PID" 2>/dev/null || true
    await_exit "$DEVBROKER_PID" 10
    DEVBROKER_PID=
  fi
}

# kafka_cluster_start DIR [--sasl]: a real three-node Apache Kafka cluster in
# DIR (infra/kafka/cluster), in the background of the caller; sets
# KAFKA_CLUSTER_DIR and KAFKA_CLUSTER_BOOTSTRAP. Its nodes outlive a crash of
# the caller only until kafka_cluster_stop or the caller's cleanup.
kafka_cluster_start() {
  local dir=$1
  shift
  KAFKA_CLUSTER_DIR=$dir
  if ! KAFKA_CLUSTER_BOOTSTRAP=$(infra/kafka/cluster start --dir "$dir" "$@" | head -n 1) ||
    [[ -z "$KAFKA_CLUSTER_BOOTSTRAP" ]]; then
    echo "error: the Kafka cluster did not start (logs in $dir/node*/server.log)" >&2
    return 1
  fi
}

kafka_cluster_stop() {
  if [[ -n "${KAFKA_CLUSTER_DIR:-}" && -f "$KAFKA_CLUSTER_DIR/nodes" ]]; then
    infra/kafka/cluster stop --dir "$KAFKA_CLUSTER_DIR" || true
  fi
  KAFKA_CLUSTER_DIR=
}
