#!/bin/sh
# Creates the secret files of the compose stack in ./secrets (a 0700 folder),
# with random values, keeping the ones that exist: the salt must never change
# once entpipe has run (checkpoints and visitor sets depend on it), and the
# InfluxDB password and token are only read on the first start.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets logs
for name in influxdb_admin_password influx_token entpipe_salt grafana_admin_password; do
	f=secrets/$name
	if [ -s "$f" ]; then
		echo "keeping $f"
		continue
	fi
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$f"
	echo "created $f"
done
# The containers run as other users (entpipe: 65532, grafana: 472): compose
# bind-mounts file secrets with their host owner and mode, so the files are
# world-readable inside the 0700 folder that keeps other host users out.
chmod 0644 secrets/*
