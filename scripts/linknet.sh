#!/usr/bin/env bash
# Two private network namespaces joined by a veth pair whose root→leaf direction is shaped by a
# token-bucket filter: the bench's bandwidth-limited mode runs the root in one and the leaves in
# the other, so the root→leaf link is a real, capped link. Needs root (CAP_NET_ADMIN).
#   linknet.sh up MBIT     create (or re-create) arbor-root (10.231.0.1) and arbor-leaf (10.231.0.2)
#   linknet.sh down        remove both namespaces
#
# Hosts for a fleet (the rolling-restart bench without containers): N namespaces arbor-h0..h(N-1),
# each with one address on a bridge in this namespace, as pods on a node's network.
#   linknet.sh hosts N     create (or re-create) them: arbor-hK is 10.232.0.(10+K)/24, this side 10.232.0.1
#   linknet.sh hosts-down  remove them, the bridge, and their /etc/netns/arbor-hK folders
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
  hosts)
    count="${2:?usage: linknet.sh hosts N}"
    [ "$(id -u)" -eq 0 ] || { echo "linknet: needs root (network namespaces)" >&2; exit 2; }
    "$0" hosts-down
    ip link add arbor-hbr type bridge
    ip addr add 10.232.0.1/24 dev arbor-hbr
    ip link set arbor-hbr up
    for k in $(seq 0 $((count - 1))); do
      ns="arbor-h$k"
      ip netns add "$ns"
      ip link add "arbor-h${k}b" type veth peer name "arbor-h${k}n"
      ip link set "arbor-h${k}b" master arbor-hbr up
      ip link set "arbor-h${k}n" netns "$ns"
      ip -n "$ns" link set lo up
      ip -n "$ns" addr add "10.232.0.$((10 + k))/24" dev "arbor-h${k}n"
      ip -n "$ns" link set "arbor-h${k}n" up
      ip -n "$ns" route add default via 10.232.0.1
    done
    ;;
  hosts-down)
    for ns in $(ip netns list | grep -oE '^arbor-h[0-9]+' || true); do
      ip netns del "$ns" 2>/dev/null || true
      rm -rf "/etc/netns/$ns"
    done
    ip link del arbor-hbr 2>/dev/null || true
    ;;
  *) echo "usage: linknet.sh up MBIT | down | hosts N | hosts-down" >&2; exit 2 ;;
esac
