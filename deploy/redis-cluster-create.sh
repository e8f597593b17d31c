#!/bin/sh
# Joins the Redis nodes named as arguments into one cluster, a replica per master (compose.yaml), unless
# they already are one (a restart of the stack). redis-cli wants addresses, so names are resolved first.
set -eu
first=$1
if redis-cli -h "$first" cluster info | grep -q '^cluster_state:ok'; then
  echo "the cluster is already formed"
  exit 0
fi
addresses=""
for node in "$@"; do
  addresses="$addresses $(getent hosts "$node" | awk '{ print $1 }'):6379"
done
# shellcheck disable=SC2086 # one argument per address
redis-cli --cluster create $addresses --cluster-replicas 1 --cluster-yes
until redis-cli -h "$first" cluster info | grep -q '^cluster_state:ok'; do sleep 1; done
echo "cluster formed:"
redis-cli -h "$first" cluster nodes
