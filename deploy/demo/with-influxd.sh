#!/usr/bin/env bash
# with-influxd.sh COMMAND...: run COMMAND with the demo's influxd up.
# `make demo` stops its influxd when it ends, so `make report` would find
# nothing to read: if .demo/influxdb/influxdb.conf exists and its HTTP
# address does not answer, this starts influxd on that configuration (same
# data, loopback), runs COMMAND, and stops influxd again. Otherwise it just
# runs COMMAND.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
conf=$root/.demo/influxdb/influxdb.conf
influxd=$root/.tools/bin/influxd
[ -f "$conf" ] || exec "$@"
# the [http] section's bind-address, e.g. 127.0.0.1:18086
addr=$(awk '/^\[http\]/{h=1; next} /^\[/{h=0} h && /bind-address/{gsub(/[" ]/, "", $0); sub(/^bind-address=/, "", $0); print; exit}' "$conf")
url=http://$addr
if curl -fsS -o /dev/null "$url/ping" 2>/dev/null; then
	exec "$@"
fi
echo ">> starting the demo's influxd on $url for this command"
"$influxd" -config "$conf" >> "$root/.demo/influxd.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 300); do
	curl -fsS -o /dev/null "$url/ping" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || { tail -5 "$root/.demo/influxd.log"; echo "influxd failed to start"; exit 1; }
	sleep 0.1
done
"$@"
