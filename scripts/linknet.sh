#!/usr/bin/env bash
# Two private network namespaces joined by a veth pair whose root→leaf direction is shaped by a
# token-bucket filter: the bench's bandwidth-limited mode runs the root in one and the leaves in
# the other, so the root→leaf link is a real, capped link. Needs root (CAP_NET_ADMIN).
#   linknet.sh up MBIT     create (or re-create) arbor-root (10.231.0.1) and arbor-leaf (10.231.0.2)
#   linknet.sh down        remove both namespaces
set -euo pipefail
ROOT_NS=arbor-root LEAF_NS=arbor-leaf
down() {
  ip netns del "$ROOT_NS" 2>/dev/null || true
  ip netns del "$LEAF_NS" 2>/dev/null || true
}
case "${1:-}" in
  up)
    mbit="${2:?usage: linknet.sh up MBIT}"
    [ "$(id -u)" -eq 0 ] || { echo "linknet: needs root (network namespaces and tc)" >&2; exit 2; }
    down
    ip netns add "$ROOT_NS"
    ip netns add "$LEAF_NS"
    ip link add arbor-r type veth peer name arbor-l
    ip link set arbor-r netns "$ROOT_NS"
    ip link set arbor-l netns "$LEAF_NS"
    ip -n "$ROOT_NS" addr add 10.231.0.1/30 dev arbor-r
    ip -n "$LEAF_NS" addr add 10.231.0.2/30 dev arbor-l
    for ns in "$ROOT_NS" "$LEAF_NS"; do ip -n "$ns" link set lo up; done
    ip -n "$ROOT_NS" link set arbor-r up
    ip -n "$LEAF_NS" link set arbor-l up
    # Shape root→leaf (the fan-out direction) on the root side's egress.
    ip netns exec "$ROOT_NS" tc qdisc add dev arbor-r root tbf rate "${mbit}mbit" burst 64kb latency 50ms
    ;;
  down) down ;;
  *) echo "usage: linknet.sh up MBIT | down" >&2; exit 2 ;;
esac
