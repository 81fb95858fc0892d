# Sourced by the multi-host tests (after processes.sh): hosts are network
# namespaces this test creates, each with one veth link to a Linux bridge
# the test also creates, addresses 10.77.0.N/24 and fd77::N/64.
#
# Names carry a prefix unique to this run (tests run in parallel), and
# everything made here is deleted on exit, pass or fail: processes first (by
# PID), then namespaces, links and the bridge.
#
# Without root (CAP_NET_ADMIN) the test cannot build its network: it says
# SKIPPED loudly and passes (a Bazel sh_test has no "skipped" result). CI runs
# as root, where every failure to build the network fails the test.
NETNS_PREFIX=""
NETNS_MADE=()  # namespaces, without the prefix
NETNS_LINKS=() # links in the root namespace (bridge, veth ends)

netns_require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "=================================================================="
    echo "SKIPPED: ${TEST_TARGET:-$0} needs root (CAP_NET_ADMIN) to create"
    echo "SKIPPED: network namespaces; nothing was tested. CI runs it as root."
    echo "=================================================================="
    exit 0
  fi
}

netns_cleanup() {
  local status=$?
  stop_started_processes
  local ns link
  for ns in "${NETNS_MADE[@]}"; do ip netns del "$NETNS_PREFIX$ns" 2>/dev/null || true; done
  for link in "${NETNS_LINKS[@]}"; do ip link del "$link" 2>/dev/null || true; done
  exit $status
}

# netns_bridge: picks this run's prefix and creates its bridge.
netns_bridge() {
  local try
  for try in $(seq 20); do
    NETNS_PREFIX="$(printf 'pt%05x' $(((RANDOM * 32768 + RANDOM + $$) % 1048576)))"
    ip link add "${NETNS_PREFIX}br" type bridge 2>/dev/null && break
    NETNS_PREFIX=""
  done
  [ -n "$NETNS_PREFIX" ] || { echo "cannot create a bridge" >&2; exit 1; }
  NETNS_LINKS+=("${NETNS_PREFIX}br")
  trap netns_cleanup EXIT
  # A timeout's SIGTERM becomes an exit, so the cleanup runs then too.
  trap 'exit 143' TERM INT HUP
  ip link set "${NETNS_PREFIX}br" up
}

# netns_host NAME N: namespace NAME with eth0 = 10.77.0.N/24, fd77::N/64.
netns_host() {
  local name="$1" n="$2" ns="$NETNS_PREFIX$1"
  ip netns add "$ns"
  NETNS_MADE+=("$name")
  ip link add "${ns}h" type veth peer name "${ns}n"
  NETNS_LINKS+=("${ns}h")
  ip link set "${ns}h" master "${NETNS_PREFIX}br" up
  ip link set "${ns}n" netns "$ns"
  ip -n "$ns" link set "${ns}n" name eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "10.77.0.$n/24" dev eth0
  # nodad: usable at once, not after duplicate address detection.
  ip -n "$ns" addr add "fd77::$n/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
}

# start_in_ns NAME COMMAND...: starts COMMAND in the background on host NAME
# and records its PID (ip netns exec execs it: the PID is the command's).
start_in_ns() {
  local ns="$NETNS_PREFIX$1"
  shift
  ip netns exec "$ns" "$@" &
  PIDS+=($!)
}
