#!/bin/sh
# Run once by the postgres image on a new data directory (docker-entrypoint-initdb.d): lets the replica
# (compose.yaml, postgres-replica) take its base backup and stream the WAL, with the same password.
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
