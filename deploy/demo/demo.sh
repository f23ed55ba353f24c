#!/usr/bin/env bash
# The bulletin scenario end to end on local defaults (`make demo`):
# a private influxd on loopback, the simulated spring-2020 data of the three
# ENTs and Enseigno imported through entpipe, the Grafana dashboards and
# provisioning files, the directors' report, then `entpipe run` serving
# /metrics. Everything lives under .demo/ and only loopback is used.
# Re-running is safe: the previous demo's processes are stopped first and
# imports are idempotent upserts. Ctrl-C stops everything it started.
#
# Settings (environment): DEMO_SCALE (0.01), DEMO_FROM (2019-09-02),
# DEMO_TO (2020-04-30), DEMO_INFLUX_PORT (18086), DEMO_METRICS (127.0.0.1:9489),
# DEMO_RUN_SECONDS (how long `entpipe run` stays up when not on a terminal: 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
demo=$root/.demo
scale=${DEMO_SCALE:-0.01}
from=${DEMO_FROM:-2019-09-02}
to=${DEMO_TO:-2020-04-30}
port=${DEMO_INFLUX_PORT:-18086}
metrics=${DEMO_METRICS:-127.0.0.1:9489}
entpipe=$root/bin/entpipe
influxd=$root/.tools/bin/influxd
influx_url=http://127.0.0.1:$port
config=$demo/sim/entpipe.yaml

say() { printf '\n>> %s\n' "$*"; }
stop_pid() { # stop the process whose pid is in file $1, if it is still ours
	local f=$1
	[ -f "$f" ] || return 0
	local pid; pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -f "$f"
}
import_pids=()
stop_imports() { # an interrupted import retries InfluxDB for minutes: TERM, then KILL (re-running is safe)
	[ ${#import_pids[@]} -gt 0 ] || return 0
	kill "${import_pids[@]}" 2>/dev/null || true
	for _ in $(seq 30); do kill -0 "${import_pids[@]}" 2>/dev/null || break; sleep 0.1; done
	kill -9 "${import_pids[@]}" 2>/dev/null || true
	import_pids=()
}
stop_all() {
	stop_imports
	stop_pid "$demo/run.pid"
	stop_pid "$demo/influxd.pid"
}

mkdir -p "$demo"
stop_all # a previous demo's processes
trap 'stop_all; exit 130' INT TERM

say "starting influxd 1.8.10 on $influx_url (data in .demo/influxdb)"
mkdir -p "$demo/influxdb"
cat > "$demo/influxdb/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$((port + 2))"
[meta]
  dir = "$demo/influxdb/meta"
[data]
  dir = "$demo/influxdb/data"
  wal-dir = "$demo/influxdb/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
  flux-enabled = true
[logging]
  level = "warn"
[monitor]
  store-enabled = false
CONF
"$influxd" -config "$demo/influxdb/influxdb.conf" > "$demo/influxd.log" 2>&1 &
echo $! > "$demo/influxd.pid"
for _ in $(seq 300); do
	curl -fsS -o /dev/null "$influx_url/ping" 2>/dev/null && break
	kill -0 "$(cat "$demo/influxd.pid")" 2>/dev/null || { cat "$demo/influxd.log"; echo "influxd failed to start"; exit 1; }
	sleep 0.1
done

stamp="$scale $from $to $port"
if [ "$(cat "$demo/sim/.stamp" 2>/dev/null)" != "$stamp" ]; then
	say "simulating the bulletin-2020 scenario ($from → $to, scale $scale)"
	rm -rf "$demo/sim"
	"$entpipe" simulate -scenario bulletin-2020 -out "$demo/sim" -from "$from" -to "$to" -scale "$scale" -influx-url "$influx_url"
	echo "$stamp" > "$demo/sim/.stamp"
else
	say "simulated data already in .demo/sim (same settings)"
fi

say "creating the database and its retention policy"
"$entpipe" influx setup -config "$config"

# One import at a time: they share the configuration's data_dir, whose
# spool belongs to one process. Each runs in the background and is waited
# for, so that Ctrl-C reaches the trap at once (bash runs traps only
# between foreground commands).
for ent in ent92 ecollege78 oze78; do
	say "importing the access logs of $ent"
	"$entpipe" import -config "$config" -source "$ent" -progress never "$demo"/sim/logs/$ent/access.log-* &
	import_pids=($!)
	wait "${import_pids[0]}" || { echo "import of $ent failed"; import_pids=(); stop_all; exit 1; }
	import_pids=()
done
for dep in 92 78; do
	say "importing the Enseigno export of the $dep"
	"$entpipe" import -config "$config" -source "enseigno-$dep" -progress never "$demo/sim/enseigno/enseigno-$dep.csv"
done
if [ -f "$demo/sim/infra/infra_load.lp.gz" ]; then
	say "replaying the simulated server-load recording"
	gunzip -c "$demo/sim/infra/infra_load.lp.gz" |
		split -l 5000 --filter "curl -fsS --data-binary @- '$influx_url/write?db=ent'"
fi

say "exporting the Grafana dashboards and provisioning files to .demo/grafana"
rm -rf "$demo/grafana" && mkdir -p "$demo/grafana"
"$entpipe" dashboards export -out "$demo/grafana/dashboards"
cp -r deploy/grafana/provisioning "$demo/grafana/provisioning"
# The demo's influxd is not on the default port: point the datasource at it.
sed -i "s#url: http://127.0.0.1:8086#url: $influx_url#" "$demo/grafana/provisioning/datasources/entpipe.yaml"
grep -q "url: $influx_url" "$demo/grafana/provisioning/datasources/entpipe.yaml" ||
	{ echo "the InfluxDB URL of the provisioned datasource was not set"; stop_all; exit 1; }

say "writing the directors' report to .demo/report"
"$entpipe" report -config "$config" -out "$demo/report" -from "$from" -to "$to" -day 2020-03-30 -ent ent92

query() { curl -fsS -G "$influx_url/query" --data-urlencode "db=ent" --data-urlencode "q=$1" | grep -o '"values":\[\[[^]]*\]' | sed -e 's/.*,//' -e 's/\]$//'; }
day="time >= '2020-03-29T22:00:00Z' AND time < '2020-03-30T22:00:00Z'"
visits=$(query "SELECT sum(visits) FROM ent_traffic WHERE ent = 'ent92' AND $day")
views=$(query "SELECT sum(page_views) FROM ent_traffic WHERE ent = 'ent92' AND $day")
uniq=$(query "SELECT sum(unique_visitors) FROM ent_visitors WHERE ent = 'ent92' AND period = 'day' AND $day")
sessions=$(query "SELECT sum(sessions) FROM enseigno_usage WHERE discipline = 'all' AND time >= '2020-02-29T23:00:00Z' AND time < '2020-03-31T22:00:00Z'")
cat <<TXT

== read back from InfluxDB ($influx_url, database ent) ==
ENT 92 on Monday 30 March 2020: ${visits:-?} visits, ${views:-?} page views, ${uniq:-?} unique visitors
  (scale $scale: ×$(awk "BEGIN{print 1/$scale}") ≈ $(awk "BEGIN{printf \"%d\", ${visits:-0}/$scale}") visits a day at full scale)
Enseigno sessions in March 2020 (92 + 78): ${sessions:-?}

== where everything is ==
report:      $demo/report/index.html
dashboards:  $demo/grafana/dashboards/*.json (provisioning: $demo/grafana/provisioning)
config:      $config
InfluxDB:    $influx_url (database ent; logs in $demo/influxd.log)
TXT

say "starting entpipe run: live metrics on http://$metrics/metrics"
"$entpipe" run -config "$config" -web.listen-address "$metrics" > "$demo/run.log" 2>&1 &
echo $! > "$demo/run.pid"
for _ in $(seq 100); do curl -fsS -o /dev/null "http://$metrics/-/ready" 2>/dev/null && break; sleep 0.1; done
curl -fsS "http://$metrics/-/ready" >/dev/null || { cat "$demo/run.log"; stop_all; echo "entpipe run did not become ready"; exit 1; }
echo "ready: http://$metrics/metrics  (entpipe log: $demo/run.log)"
if [ -t 0 ] && [ -z "${DEMO_RUN_SECONDS:-}" ]; then
	echo "Press Ctrl-C to stop entpipe run and influxd."
	wait "$(cat "$demo/run.pid")" || true
else
	sleep "${DEMO_RUN_SECONDS:-10}"
	echo "entpipe_lines_total samples: $(curl -fsS "http://$metrics/metrics" | grep -c '^entpipe_lines_total')"
fi
stop_all
say "demo stopped (data kept in .demo; run 'make demo' again to restart it)"
