#!/usr/bin/env bash
# End-to-end test: builds the container image for real and runs compose.yaml with it.
#
#   tests/e2e/run.sh            exit 0 all assertions held, 1 one failed, 2 no Docker engine
#
# First the image alone: (e) size (printed; at most 25,000,000 bytes), USER 65532, no shell,
# `version` on a read-only root, every schemas/<svc> valid when mounted, and in a derived image.
# Then three stacks, each its own compose project (sge2e<pid><letter>), removed with their
# containers, volumes and networks on exit (also on failure or interrupt):
#   A  compose.yaml, cart-schema scaled to 3: (a) each service started after the first passing
#      probe in every replica's health log (and the health_status event), found its tables as its
#      own role; (d) the 3 replicas applied each migration once; (e) sidecars run as uid 65532
#      on a read-only root and change no file; (s) no password in compose files or container
#      environments; (b) a restarted sidecar re-runs initialisation and applies nothing (with
#      Compose >= 2.17 and docker/compose.restart.yaml its service restarts too)
#   B  a broken V99 in promotion, a 20 s V99 in product: (c) promotion never starts, its
#      sidecar's /health and the engine's health log say why, it is unhealthy within 10 s of the
#      failure, `up` fails by itself naming it, the other services run, nothing half-applied;
#      (t) the slow migration never turns product-schema unhealthy, product starts after it
#   C  compose.yaml + docker/compose.schema-per-service.yaml: (f) one database, a schema each
#   D  TLS, plain docker: (g) sslmode=verify-full to a postgres:15 with ssl=on and a test CA
#      applies through the image's linked-in OpenSSL; a host name the certificate lacks is
#      refused at once with exit 3
# Talks only to containers of those projects (HTTP from inside their network) and the engine.
# Settings: SCHEMAGATE_IMAGE (default schemagate:local) names the image built and used;
# E2E_COMPOSE overrides the compose command ("docker compose" or "docker-compose");
# E2E_BUILD=0 uses that image as it is instead of building it from the work tree first.
# Everything below is one { } block, read whole before it runs: editing this file while a test
# runs cannot change that run.
{
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
image="${SCHEMAGATE_IMAGE:-schemagate:local}"
export SCHEMAGATE_IMAGE="$image"
services=(auth product cart promotion)
prefix="sge2e$$"
t0=$SECONDS

log() { printf 'e2e %4ss: %s\n' "$((SECONDS - t0))" "$*"; }
failures=0
fail() {
  failures=$((failures + 1))
  printf 'e2e FAIL: %s\n' "$*" >&2
}
ok() { log "ok   $*"; }
die() {
  printf 'e2e FAIL: %s\n' "$*" >&2
  exit 1
}

# --- engine and compose ----------------------------------------------------------------------------
if ! command -v docker >/dev/null 2>&1 || ! timeout 20 docker info >/dev/null 2>&1; then
  echo "e2e: SKIP: no Docker engine answers (docker info failed); start dockerd to run the end-to-end test" >&2
  exit 2
fi
if [[ -n "${E2E_COMPOSE:-}" ]]; then
  read -r -a compose_cmd <<<"$E2E_COMPOSE"
  if ! "${compose_cmd[@]}" version >/dev/null 2>&1; then
    echo "e2e FAIL: E2E_COMPOSE='$E2E_COMPOSE' does not run ('$E2E_COMPOSE version' failed)" >&2
    exit 1
  fi
elif docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose_cmd=(docker-compose)
else
  # An engine without Compose is a broken setup, not a missing engine: fail.
  echo "e2e FAIL: a Docker engine answers but neither 'docker compose' nor 'docker-compose' is installed" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sge2e.XXXXXX")"
projects=()
pids=()
derived_images=()
cleanup() {
  local rc=$? p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${projects[@]}"; do
    timeout 120 "${compose_cmd[@]}" --project-directory "$repo" -p "$p" -f "$repo/compose.yaml" \
      down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
    # Anything compose did not know about (e.g. from an override file).
    docker ps -aq --filter "label=com.docker.compose.project=$p" | xargs -r docker rm -f -v >/dev/null 2>&1 || true
    docker network ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker network rm >/dev/null 2>&1 || true
    docker volume ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker volume rm >/dev/null 2>&1 || true
  done
  for p in "${derived_images[@]}"; do docker image rm -f "$p" >/dev/null 2>&1 || true; done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# compose <project> <extra -f files...> -- <compose arguments...>
compose() {
  local project="$1" files=(-f "$repo/compose.yaml")
  shift
  while [[ "$1" != "--" ]]; do files+=(-f "$1"); shift; done
  shift
  "${compose_cmd[@]}" --project-directory "$repo" -p "$project" "${files[@]}" "$@"
}
# compose_within <seconds> <compose arguments as above>: the same, killed after that long.
compose_script() { printf '%s; %s; compose "$@"' "$(declare -p repo compose_cmd)" "$(declare -f compose)"; }
compose_within() {
  local limit="$1"
  shift
  timeout "$limit" bash -c "$(compose_script)" compose "$@"
}

# Container ids of one service of one project (all states), by compose's labels.
cids() {
  docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$1" \
    --filter "label=com.docker.compose.service=$2"
}
cid() { cids "$1" "$2" | head -n1; }

# wait_for <seconds> <what> <command...>: polls once a second until the command succeeds.
wait_for() {
  local limit="$1" what="$2" deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      fail "timed out after ${limit}s waiting for: $what"
      return 1
    fi
    sleep 1
  done
}

# psql as the superuser inside a project's postgres container.
sql() { # project database query
  docker exec -e PGPASSWORD="$(<"$repo/docker/secrets/postgres_password")" "$(cid "$1" postgres)" \
    psql -X -At -q -v ON_ERROR_STOP=1 -U postgres -h 127.0.0.1 -d "$2" -c "$3"
}

# HTTP GET from inside the project's network (the postgres container has bash and /dev/tcp).
http_get() { # project host path
  docker exec "$(cid "$1" postgres)" timeout 5 bash -c \
    'exec 3<>"/dev/tcp/$0/8080" && printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" "$0" >&3 && cat <&3' \
    "$2" "$3"
}
ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" | awk '{print $1}'; }

is_running() { [[ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" == true ]]; }
health_of() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null; }
all_healthy() { # project service
  local c n=0
  for c in $(cids "$1" "$2"); do
    [[ "$(health_of "$c")" == healthy ]] || return 1
    n=$((n + 1))
  done
  ((n > 0))
}
service_ready() { # project service: the demo service logged that it is ready
  local c
  c="$(cid "$1" "$2")"
  [[ -n "$c" ]] && docker logs "$c" 2>&1 | grep -q 'ready; idling'
}
all_ready() { # project service...
  local p="$1" s
  shift
  for s in "$@"; do service_ready "$p" "$s" || return 1; done
}
# wait_ready <seconds> <what> <project> <service...>: like wait_for all_ready, but gives up at once
# when one of the services has exited (it found no tables: it was started too early).
wait_ready() {
  local limit="$1" what="$2" p="$3" deadline=$((SECONDS + $1)) s c
  shift 3
  until all_ready "$p" "$@"; do
    for s in "$@"; do
      c="$(cid "$p" "$s")"
      if [[ -n "$c" && "$(docker inspect -f '{{.State.Status}}' "$c")" == exited ]]; then
        fail "$what: $s exited with $(docker inspect -f '{{.State.ExitCode}}' "$c"): $(docker logs "$c" 2>&1 | tail -n 2 | tr '\n' ' ')"
        return 1
      fi
    done
    if ((SECONDS >= deadline)); then
      fail "timed out after ${limit}s waiting for: $what"
      return 1
    fi
    sleep 1
  done
}

dump_project() { # project: what a failing assertion needs to be understood
  log "---- logs of project $1 (last lines per container) ----"
  local c
  for c in $(docker ps -aq --filter "label=com.docker.compose.project=$1"); do
    echo "== $(docker inspect -f '{{.Name}} {{.State.Status}} health={{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")"
    docker logs --tail 25 "$c" 2>&1 | sed 's/^/   /'
  done
}

# Container events of a project (start, health_status) with nanosecond times, into a file.
record_events() { # project file
  docker events --filter type=container --filter "label=com.docker.compose.project=$1" \
    --format '{{.TimeNano}} {{.Actor.ID}} {{.Action}}' >"$2" 2>/dev/null &
  pids+=("$!")
}
# The containers' health logs, sampled every second into a file ("<id> <exit code> <end time>" per
# probe, duplicates removed later): a health log keeps only the last five probes, so sampling it
# keeps every probe of the start-up. Stops by itself after 10 minutes.
health_sample() { # container...: its health log now, one "<id> <exit code> <end time>" a probe
  docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}{{$.Id}} {{.ExitCode}} {{.End}}{{"\n"}}{{end}}{{end}}' "$@" 2>/dev/null
}
record_health() { # project file
  (
    for _ in $(seq 1 600); do
      health_sample $(docker ps -q --no-trunc --filter "label=com.docker.compose.project=$1")
      sleep 1
    done
  ) >>"$2" &
  pids+=("$!")
}
health_ns() { # file container: "<exit code> <end ns>" for each probe in its health log, in order
  local code end
  awk -v id="$2" '$1 == id {print $2, $3}' "$1" | sort -u | while read -r code end; do
    printf '%s %s\n' "$code" "$(date -u -d "$end" +%s%N)"
  done | sort -k2,2n
}
first_event_ns() { # file container action
  awk -v id="$2" -v action="$3" '$2 == id && substr($0, index($0, $3)) == action {print $1; exit}' "$1"
}

count_files() { find "$1" -maxdepth 1 -name "$2" -type f | wc -l; }

# --- build -------------------------------------------------------------------------------------------
# A staged build context holding only what docker/Dockerfile copies: fast with either builder.
compose_version="$("${compose_cmd[@]}" version --short 2>/dev/null || true)"
compose_version="${compose_version#v}"
# Compose >= 2.17 understands `restart: true` under depends_on (docker/compose.restart.yaml);
# Compose v1.29 rejects it, so stack A uses that override only where it is understood.
restart_override=()
if [[ "$compose_version" =~ ^([0-9]+)\.([0-9]+) ]] && ((BASH_REMATCH[1] > 2 || (BASH_REMATCH[1] == 2 && BASH_REMATCH[2] >= 17))); then
  restart_override=("$repo/docker/compose.restart.yaml")
fi
log "compose: ${compose_cmd[*]} ($compose_version)$([[ ${#restart_override[@]} -gt 0 ]] && echo ' with docker/compose.restart.yaml'); engine $(docker version -f '{{.Server.Version}}')"
if [[ "${E2E_BUILD:-1}" == 0 ]]; then
  docker image inspect "$image" >/dev/null 2>&1 || die "E2E_BUILD=0 but there is no image $image"
  log "E2E_BUILD=0: using the existing $image ($(docker image inspect -f '{{.Id}} created {{.Created}}' "$image"))"
else
  mkdir -p "$work/context"
  cp -a "$repo/CMakeLists.txt" "$repo/CMakePresets.json" "$repo/cmake" "$repo/sidecar" "$repo/docker" "$work/context/"
  log "building $image from docker/Dockerfile (the first build compiles the project: many minutes on 2 cores)"
  build_start=$SECONDS
  # In the background with wait, so that an interrupt stops the build and cleans up at once.
  revision="$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  timeout 3600 docker build --force-rm --build-arg SCHEMAGATE_GIT_REVISION="$revision" \
    -f "$work/context/docker/Dockerfile" -t "$image" "$work/context" >"$work/build.log" 2>&1 &
  pids+=("$!")
  if ! wait "$!"; then
    tail -n 60 "$work/build.log" >&2
    die "docker build failed (log above)"
  fi
  log "built $image in $((SECONDS - build_start))s$(grep -q 'Using cache' "$work/build.log" && ! grep -q 'Building CXX' "$work/build.log" && echo ' (all layers cached)')"
fi
image_bytes="$(docker image inspect -f '{{.Size}}' "$image")"
image_size="${image_bytes} bytes = $(awk -v b="$image_bytes" 'BEGIN{printf "%.1f MB (%.1f MiB)", b/1e6, b/1048576}')"
log "image $image: uncompressed size $image_size"

# --- (e) the image itself ---------------------------------------------------------------------------
# 25 MB in the strict (decimal) sense: 25,000,000 bytes.
if ((image_bytes <= 25000000)); then ok "(e) image size $image_size <= 25 MB"; else fail "(e) image size $image_size, over 25 MB"; fi
user="$(docker image inspect -f '{{.Config.User}}' "$image")"
[[ "$user" == 65532:65532 ]] && ok "(e) image USER is $user" || fail "(e) image USER is '$user', want 65532:65532"
if docker run --rm --read-only --network none --entrypoint /bin/sh "$image" -c true >/dev/null 2>&1; then
  fail "(e) the image has a shell (/bin/sh ran)"
else
  ok "(e) no shell in the image"
fi
if out="$(docker run --rm --read-only --network none "$image" version 2>&1)"; then
  ok "(e) 'schemagate version' runs on a read-only root filesystem: $(head -n1 <<<"$out")"
  if [[ "${E2E_BUILD:-1}" != 0 && -n "${revision:-}" && "$revision" != unknown ]]; then
    if grep -qF "(git $revision)" <<<"$out"; then
      ok "(e) the image names the commit it was built from ($revision)"
    else
      fail "(e) the image's version does not name commit $revision: $(head -n1 <<<"$out")"
    fi
  fi
  # The image's build (preset image): libpq linked in without GSSAPI/LDAP, so the binary loads
  # nothing but glibc. The version line says so; the file list shows no Kerberos or OpenLDAP.
  if grep -q '^libpq [0-9.]* (linked in, without GSSAPI and LDAP)$' <<<"$out"; then
    ok "(e) $(grep '^libpq' <<<"$out")"
  else
    fail "(e) the image's libpq is not the linked-in build: $(grep '^libpq' <<<"$out" || echo 'no libpq line')"
  fi
  if probe="$(docker create "$image" 2>/dev/null)"; then
    so_files="$(docker export "$probe" | tar -t 2>/dev/null | grep -E '\.so(\.|$)' | sed 's|.*/||' | sort | tr '\n' ' ')"
    docker rm "$probe" >/dev/null 2>&1
    if [[ -n "$so_files" ]] && ! grep -qE 'libkrb5|libldap|libgnutls|libstdc\+\+|libpq\.so|libssl' <<<"$so_files"; then
      ok "(e) shared libraries in the image: $so_files"
    else
      fail "(e) the image ships libraries the static build should not need: ${so_files:-none found}"
    fi
  else
    fail "(e) docker create $image failed: cannot list the image's files"
  fi
else
  fail "(e) 'schemagate version' failed in the image: $out"
fi

# The two ways to ship migrations: mounted at /migrations, or COPY'd into a derived image.
for s in "${services[@]}"; do
  n_sql="$(find "$repo/schemas/$s" -name '*.sql' -type f | wc -l)"
  out="$(docker run --rm --read-only --network none -v "$repo/schemas/$s:/migrations:ro" "$image" validate --offline 2>&1 || true)"
  [[ "$out" == "ok: $n_sql file(s) valid in /migrations" ]] && ok "(e) schemas/$s mounted at /migrations: $out" ||
    fail "(e) validate --offline of schemas/$s ($n_sql .sql files): $out"
done
derived="sge2e-derived:$$"
mkdir -p "$work/derived"
cp -a "$repo/schemas/auth" "$work/derived/auth"
printf 'FROM %s\nCOPY auth/ /migrations/\n' "$image" >"$work/derived/Dockerfile"
if docker build --force-rm -q -t "$derived" "$work/derived" >"$work/derived.log" 2>&1; then
  derived_images+=("$derived")
  out="$(docker run --rm --read-only --network none "$derived" validate --offline 2>&1 || true)"
  n_sql="$(find "$repo/schemas/auth" -name '*.sql' -type f | wc -l)"
  [[ "$out" == "ok: $n_sql file(s) valid in /migrations" ]] && ok "(e) derived image FROM $image + COPY schemas/auth: $out" ||
    fail "(e) derived image: validate --offline said: $out"
else
  fail "(e) building a derived image FROM $image failed: $(tail -n 5 "$work/derived.log")"
fi

# --- stack A: compose.yaml, cart-schema x3 --------------------------------------------------------------
A="${prefix}a"
projects+=("$A")
record_events "$A" "$work/events-a"
record_health "$A" "$work/health-a"
sleep 1 # docker events is subscribed before anything starts
log "stack A: up -d with cart-schema scaled to 3"
up_start=$SECONDS
if ! compose_within 600 "$A" "${restart_override[@]}" -- up -d --no-build --scale cart-schema=3 >"$work/up-a.log" 2>&1; then
  cat "$work/up-a.log" >&2
  dump_project "$A"
  die "stack A: compose up failed"
fi
up_returned=$((SECONDS - up_start))
wait_ready 180 "stack A: every demo service ready" "$A" "${services[@]}" || {
  dump_project "$A"
  die "stack A did not come up"
}
log "stack A: up returned after ${up_returned}s; all ${#services[@]} services running and ready $((SECONDS - up_start))s after 'up'"

# (a) each demo service started only after every replica of its sidecar was healthy, and found
# its tables as its own role. The service's start time is its State.StartedAt; a sidecar became
# healthy with the first passing probe of its health log (sampled since before `up`), which the
# engine's health_status event confirms.
for s in "${services[@]}"; do
  svc_id="$(cid "$A" "$s")"
  started_at="$(docker inspect -f '{{.State.StartedAt}}' "$svc_id")"
  started_ns="$(date -u -d "$started_at" +%s%N)"
  start_events="$(awk -v id="$svc_id" '$2 == id && $3 == "start"' "$work/events-a" | wc -l)"
  latest_healthy=0
  replicas=0
  for sc in $(cids "$A" "$s-schema"); do
    replicas=$((replicas + 1))
    h="$(first_event_ns "$work/events-a" "$sc" "health_status: healthy")"
    if [[ -z "$h" ]]; then
      fail "(a) $s-schema replica ${sc:0:12} never reported healthy"
      h=0
    fi
    ((h > latest_healthy)) && latest_healthy=$h
    health_sample "$sc" >>"$work/health-a" # the last probes too, whenever the sampler last ran
    probes="$(health_ns "$work/health-a" "$sc")"
    pass="$(awk '$1 == 0 {print $2; exit}' <<<"$probes")"
    failed_before="$(awk -v p="${pass:-0}" '$1 != 0 && $2 < p' <<<"$probes" | wc -l)"
    if [[ -z "$pass" ]]; then
      fail "(a) $s-schema ${sc:0:12}: no passing probe in its health log"
    elif ((pass >= started_ns)); then
      fail "(a) $s started at $(date -u -d "$started_at" +%T.%3N), before the first passing probe of ${sc:0:12} at $(date -u -d "@${pass:0:10}.${pass:10}" +%T.%3N)"
    else
      log "     (a) $s-schema ${sc:0:12}: health log: $failed_before failing probe(s), then the first passing one at $(date -u -d "@${pass:0:10}.${pass:10}" +%T.%3N), $(((started_ns - pass) / 1000000))ms before $s started; health_status event at $(date -u -d "@${h:0:10}.${h:10}" +%T.%3N)"
    fi
  done
  if ((start_events != 1)); then
    fail "(a) $s was started $start_events times (want exactly once)"
  elif ((latest_healthy > 0 && started_ns > latest_healthy)); then
    ok "(a) $s started at $(date -u -d "$started_at" +%T.%3N), $(((started_ns - latest_healthy) / 1000000))ms after its sidecar ($replicas replica(s)) reported healthy"
  else
    fail "(a) $s started at $started_at, before its sidecar was healthy ($latest_healthy)"
  fi
  svc_log="$(docker logs "$svc_id" 2>&1)"
  who="$(grep -o 'connecting as .*' <<<"$svc_log" | head -n1 || true)"
  found="$(grep -o 'found [0-9]* tables: .*' <<<"$svc_log" || true)"
  want=$(($(grep -ho 'CREATE TABLE ${schema}\.[a-z_]*' "$repo/schemas/$s"/V*.sql | sort -u | wc -l) + 1))
  if [[ "$who" == "connecting as $s to database ${s}_db, schema $s" ]] &&
    [[ "$found" =~ ^found\ ([0-9]+)\ tables ]] && ((BASH_REMATCH[1] == want)) && [[ "$found" == *schemagate_history=* ]]; then
    ok "(a) $s, $who, $found"
  else
    fail "(a) $s did not find its $want tables as role $s in ${s}_db; its log: ${who:-?} / ${found:-$(tail -n 3 <<<"$svc_log")}"
  fi
done

# (d) three replicas of cart-schema applied each migration exactly once.
n_replicas="$(cids "$A" cart-schema | wc -l)"
[[ "$n_replicas" -eq 3 ]] || fail "(d) expected 3 cart-schema replicas, found $n_replicas"
v_files="$(count_files "$repo/schemas/cart" 'V*__*.sql')"
dupes="$(sql "$A" cart_db "SELECT coalesce(string_agg(version || ' x' || n, ', '), '') FROM (SELECT version, count(*) AS n FROM cart.schemagate_history WHERE type = 'versioned' AND success GROUP BY version HAVING count(*) <> 1) d")"
applied="$(sql "$A" cart_db "SELECT count(DISTINCT version) FROM cart.schemagate_history WHERE type = 'versioned' AND success")"
failed_rows="$(sql "$A" cart_db "SELECT count(*) FROM cart.schemagate_history WHERE NOT success")"
other="$(sql "$A" cart_db "SELECT string_agg(type || '=' || n, ' ' ORDER BY type) FROM (SELECT type, count(*) AS n FROM cart.schemagate_history GROUP BY type) t")"
if [[ -z "$dupes" && "$applied" -eq "$v_files" && "$failed_rows" -eq 0 ]]; then
  ok "(d) 3 cart-schema replicas: each of $v_files versioned migrations applied exactly once (history: $other)"
else
  fail "(d) cart history: $applied of $v_files versions applied, duplicates: '${dupes}', failed rows: $failed_rows ($other)"
fi
for sc in $(cids "$A" cart-schema); do
  body="$(http_get "$A" "$(ip_of "$sc")" /readyz || true)"
  [[ "$body" == "HTTP/1."?" 200"* ]] || fail "(d) replica ${sc:0:12} /readyz: $(head -n1 <<<"$body")"
done
# From the replicas' own logs: together they applied each versioned file once.
per_replica=""
total_lines=0
for sc in $(cids "$A" cart-schema); do
  n="$(docker logs "$sc" 2>&1 | grep -c 'applied migration version=' || true)"
  total_lines=$((total_lines + n))
  per_replica+="${sc:0:12} applied $n ($(docker logs "$sc" 2>&1 | grep -o 'migrate finished files_applied=[0-9]*' | head -n1)); "
done
if ((total_lines == v_files)); then
  ok "(d) the replicas' logs: $per_replica$total_lines 'applied migration' lines in all"
else
  fail "(d) the replicas' logs hold $total_lines 'applied migration' lines for $v_files files: $per_replica"
fi
waited="$(for sc in $(cids "$A" cart-schema); do docker logs "$sc" 2>&1; done | grep -Eo '(waiting for|acquired) the [a-z ]*lock[^"]*("[^"]*")?[^ ]*' | sort | uniq -c | tr -s ' \n' ' ' || true)"
log "     (d) what the replicas logged about locks: ${waited:-nothing}"

# (e) the running sidecars: uid 65532, read-only root filesystem, nothing written.
for s in "${services[@]}"; do
  sc="$(cid "$A" "$s-schema")"
  uid="$(docker top "$sc" -o pid,uid,args 2>/dev/null | awk 'NR > 1 && /schemagate/ {print $2; exit}')"
  ro="$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$sc")"
  # Mount points (/run/secrets/...) are made before the root becomes read-only: not writes.
  diff_out="$(docker diff "$sc" | grep -Ev '^[AC] /run(/secrets(/[^/]*)?)?$' || true)"
  if [[ "$uid" == 65532 && "$ro" == true && -z "$diff_out" ]]; then
    ok "(e) $s-schema runs as uid $uid, ReadonlyRootfs=$ro, no file changed"
  else
    fail "(e) $s-schema: uid='$uid' ReadonlyRootfs=$ro changes='$diff_out'"
  fi
done

# Passwords reach containers only as secret files: none is in the compose files or in any
# container's environment or command line.
leaks=""
for f in "$repo"/docker/secrets/*_password; do
  pw="$(<"$f")"
  grep -lF -- "$pw" "$repo/compose.yaml" "$repo"/docker/compose.*.yaml >/dev/null 2>&1 && leaks+="$(basename "$f") in a compose file; "
  for c in $(docker ps -aq --filter "label=com.docker.compose.project=$A"); do
    docker inspect -f '{{.Config.Env}} {{.Config.Cmd}} {{.Config.Entrypoint}}' "$c" | grep -qF -- "$pw" &&
      leaks+="$(basename "$f") in $(docker inspect -f '{{.Name}}' "$c"); "
  done
done
n_secret_files="$(docker inspect -f '{{range .Mounts}}{{.Destination}} {{end}}' "$(cid "$A" auth-schema)" | tr ' ' '\n' | grep -c '^/run/secrets/' || true)"
if [[ -z "$leaks" && "$n_secret_files" -eq 3 ]]; then
  ok "(s) no password in the compose files or in any container's environment; auth-schema reads its 3 from /run/secrets"
else
  fail "(s) passwords: ${leaks:-none leaked}; auth-schema has $n_secret_files files under /run/secrets (want 3)"
fi

# (b) restarting a sidecar re-runs initialisation and applies nothing.
before="$(sql "$A" auth_db "SELECT count(*) || '/' || max(rank) FROM auth.schemagate_history")"
sc="$(cid "$A" auth-schema)"
started_before="$(docker inspect -f '{{.State.StartedAt}}' "$sc")"
auth_id="$(cid "$A" auth)"
auth_started_before="$(docker inspect -f '{{.State.StartedAt}}' "$auth_id")"
restart_start=$SECONDS
compose_within 120 "$A" "${restart_override[@]}" -- restart -t 10 auth-schema >/dev/null 2>&1 || fail "(b) compose restart auth-schema failed"
restarted() { [[ "$(docker inspect -f '{{.State.StartedAt}}' "$sc")" != "$started_before" && "$(health_of "$sc")" == healthy ]]; }
if wait_for 120 "(b) auth-schema healthy again after restart" restarted; then
  after="$(sql "$A" auth_db "SELECT count(*) || '/' || max(rank) FROM auth.schemagate_history")"
  health="$(http_get "$A" auth-schema /health | tr -d '\r' | sed -n '/^{/,$p')"
  restart_log="$(docker logs --since "$(docker inspect -f '{{.State.StartedAt}}' "$sc")" "$sc" 2>&1)"
  # Initialisation ran again (provisioning checked, migrations planned, verify run) and applied nothing.
  if [[ "$before" == "$after" ]] && grep -q 'everything already in place' <<<"$restart_log" &&
    grep -q 'migrate finished files_applied=0 ' <<<"$restart_log" && grep -q 'verified checks=' <<<"$restart_log" &&
    ! grep -q 'applied migration' <<<"$restart_log" &&
    grep -Eq '"phase" *: *"ready"' <<<"$health" && grep -Eq '"pending" *: *0' <<<"$health"; then
    ok "(b) auth-schema restarted, healthy again in $((SECONDS - restart_start))s, history rows/max rank unchanged ($after); its log: $(grep -o 'provisioning: everything already in place\|migrate finished files_applied=[^ ]* files_skipped=[^ ]*\|verified checks=[0-9]*' <<<"$restart_log" | tr '\n' ';')"
  else
    fail "(b) after restart: history $before -> $after; /health: $health; log since restart: $restart_log"
  fi
  status="$(docker exec "$sc" /schemagate status 2>&1 || true)"
  # The summary line says "0 pending, 0 failed"; no row may be in any state but applied.
  if ! grep -Eq '^current version [^:]*: [0-9]+ applied, 0 pending, 0 failed$' <<<"$status" ||
    grep -Eq '  (pending|failed|checksum-mismatch|missing-file)  ' <<<"$status"; then
    fail "(b) 'schemagate status' in the restarted sidecar reports work left: $status"
  else
    ok "(b) 'schemagate status' in the sidecar: $(head -1 <<<"$status")"
  fi
  # The service behind it: restarted with it where restart: true is understood, else left running.
  auth_restarted() {
    local since
    since="$(docker inspect -f '{{.State.StartedAt}}' "$auth_id")"
    [[ "$since" != "$auth_started_before" ]] && docker logs --since "$since" "$auth_id" 2>&1 | grep -q 'ready; idling'
  }
  if ((${#restart_override[@]} > 0)); then
    wait_for 60 "(b) auth restarted after its sidecar (restart: true)" auth_restarted &&
      ok "(b) restart: true: auth was restarted with its sidecar and found its tables again"
  elif is_running "$auth_id" && [[ "$(docker inspect -f '{{.State.StartedAt}}' "$auth_id")" == "$auth_started_before" ]]; then
    ok "(b) Compose $compose_version has no restart: true: auth kept running through its sidecar's restart"
  else
    fail "(b) auth was stopped or restarted by its sidecar's restart under Compose $compose_version"
  fi
fi
if ((failures > 0)); then dump_project "$A"; fi

log "stack A: down"
compose_within 120 "$A" "${restart_override[@]}" -- down -v -t 5 >/dev/null 2>&1 || true

# --- stack B: a broken migration in promotion -----------------------------------------------------------
B="${prefix}b"
projects+=("$B")
broken="$work/promotion-broken"
cp -a "$repo/schemas/promotion" "$broken"
cat >"$broken/V99__broken.sql" <<'SQL'
-- Deliberately broken: the table below must not survive the failed transaction.
CREATE TABLE ${schema}.half_applied (id integer);
SELECT no_such_column FROM ${schema}.promo_codes;
SQL
# In the same stack, product's first migration is slow: 20 s, far beyond interval x retries
# (2 s x 3) of the healthcheck. The waiting probe must keep product-schema "starting" (unhealthy
# would abort `compose up` for product) and answer as soon as it is ready.
slow="$work/product-slow"
slow_seconds=20
cp -a "$repo/schemas/product" "$slow"
cat >"$slow/V99__slow_backfill.sql" <<SQL
-- A slow data migration, as a first deployment onto a large table may have.
SELECT pg_sleep($slow_seconds);
SQL
chmod -R a+rX "$broken" "$slow"
cat >"$work/broken.yaml" <<YAML
services:
  promotion-schema:
    volumes:
      - $broken:/migrations:ro
  product-schema:
    volumes:
      - $slow:/migrations:ro
YAML
record_events "$B" "$work/events-b"
sleep 1
log "stack B: up -d with a broken V99 in promotion and a ${slow_seconds}s V99 in product (in the background; it must fail by itself)"
up_start=$SECONDS
# A simple command in the background: $! is timeout itself, which passes a kill on to compose.
timeout 600 bash -c "$(compose_script)" compose "$B" "$work/broken.yaml" -- up -d --no-build >"$work/up-b.log" 2>&1 &
up_b=$!
pids+=("$up_b")
promotion_failed() { http_get "$B" promotion-schema /health | grep -Eq '"phase" *: *"failed"'; }
if wait_ready 180 "stack B: auth, product, cart ready" "$B" auth product cart &&
  wait_for 120 "stack B: promotion-schema /health reports failed" promotion_failed; then
  ok "(c) auth, product and cart ran $((SECONDS - up_start))s after 'up' while promotion's migrations are broken"
  health="$(http_get "$B" promotion-schema /health | tr -d '\r' | sed -n '/^{/,$p')"
  if grep -q 'V99' <<<"$health" && grep -q 'no_such_column' <<<"$health"; then
    ok "(c) promotion-schema /health says why: $(tr -s ' \n' ' ' <<<"$health" | cut -c1-400)"
  else
    fail "(c) promotion-schema /health does not name V99 and the error: $health"
  fi
  want_good="$(count_files "$repo/schemas/promotion" 'V*__*.sql')"
  counts="$(grep -o '"migrations" *: *{[^}]*}' <<<"$health" | tr -d ' ' || true)"
  if [[ "$counts" == *"\"applied\":$want_good,"* && "$counts" == *'"pending":1'[,}]* ]]; then
    ok "(c) promotion-schema /health counts the $want_good good files as applied and V99 as pending: $counts"
  else
    fail "(c) promotion-schema /health counts: $counts (want applied $want_good, pending 1)"
  fi
  readyz="$(http_get "$B" promotion-schema /readyz | head -n1 | tr -d '\r')"
  [[ "$readyz" == *" 503"* ]] && ok "(c) promotion-schema /readyz: $readyz" || fail "(c) promotion-schema /readyz: $readyz"
  p_sc="$(cid "$B" promotion-schema)"
  # Fast failure: the waiting probe answers 1 as soon as initialisation failed, so the sidecar
  # turns unhealthy within seconds (3 probes 2 s apart), and the engine's health log says why.
  fail_line="$(docker logs "$p_sc" 2>&1 | grep -m1 'initialisation failed' || true)"
  fail_ns="$(date -u -d "${fail_line%% *}" +%s%N 2>/dev/null || echo 0)"
  p_unhealthy() { [[ -n "$(first_event_ns "$work/events-b" "$p_sc" "health_status: unhealthy")" ]]; }
  wait_for 30 "stack B: promotion-schema unhealthy" p_unhealthy || true
  unhealthy_ns="$(first_event_ns "$work/events-b" "$p_sc" "health_status: unhealthy")"
  if [[ -n "$unhealthy_ns" ]] && ((fail_ns > 0)) && (((unhealthy_ns - fail_ns) / 1000000 < 10000)); then
    ok "(c) promotion-schema unhealthy $(((unhealthy_ns - fail_ns) / 1000000))ms after its migration failed (target: under 10 s)"
  else
    fail "(c) promotion-schema not unhealthy within 10 s of the failure (failed at ${fail_ns}, unhealthy at ${unhealthy_ns:-never}): $fail_line"
  fi
  probe_out="$(docker inspect -f '{{range .State.Health.Log}}{{.Output}}{{end}}' "$p_sc" 2>/dev/null || true)"
  if grep -q 'V99__broken.sql' <<<"$probe_out" && grep -q 'no_such_column' <<<"$probe_out"; then
    ok "(c) the engine's health log says why: $(grep -m1 'V99' <<<"$probe_out" | cut -c1-200)"
  else
    fail "(c) the health log does not name V99 and the error: $(cut -c1-300 <<<"$probe_out")"
  fi
  p_svc="$(cid "$B" promotion)"
  if [[ -z "$p_svc" ]] || ! is_running "$p_svc"; then
    if [[ -z "$p_svc" ]] || [[ -z "$(first_event_ns "$work/events-b" "$p_svc" start)" ]]; then
      ok "(c) promotion never started (sidecar health: $(health_of "$p_sc"), sidecar running: $(is_running "$p_sc" && echo yes || echo no))"
    else
      fail "(c) promotion was started at some point"
    fi
  else
    fail "(c) promotion is running although its migrations are broken"
  fi
  leftover="$(sql "$B" promotion_db "SELECT to_regclass('promotion.half_applied') IS NOT NULL")"
  [[ "$leftover" == f ]] && ok "(c) the failed V99 left no half-applied table behind" || fail "(c) V99's table survived the failed migration"
  # The slow migration: product-schema never unhealthy, product started after it and found its tables.
  pr_sc="$(cid "$B" product-schema)"
  pr_svc="$(cid "$B" product)"
  slow_ms="$(sql "$B" product_db "SELECT execution_ms FROM product.schemagate_history WHERE version = '99' AND success")"
  unhealthy="$(grep -c "^[0-9]* $pr_sc health_status: unhealthy" "$work/events-b" || true)"
  pr_healthy="$(first_event_ns "$work/events-b" "$pr_sc" "health_status: healthy")"
  pr_started="$(date -u -d "$(docker inspect -f '{{.State.StartedAt}}' "$pr_svc")" +%s%N)"
  if [[ -n "$slow_ms" ]] && ((slow_ms >= slow_seconds * 1000)) && ((unhealthy == 0)) && [[ -n "$pr_healthy" ]] &&
    ((pr_started > pr_healthy)) && service_ready "$B" product; then
    ok "(t) product's first migration took ${slow_ms}ms; product-schema stayed 'starting' (never unhealthy), then healthy; product started $(((pr_started - pr_healthy) / 1000000))ms later and is ready"
  else
    fail "(t) slow migration: ${slow_ms:-no}ms recorded, $unhealthy unhealthy event(s), healthy at ${pr_healthy:-never}, product started at $pr_started"
  fi
  good="$(sql "$B" promotion_db "SELECT count(*) FROM promotion.schemagate_history WHERE type = 'versioned' AND success")"
  want="$(count_files "$repo/schemas/promotion" 'V*__*.sql')"
  [[ "$good" -eq "$want" ]] && ok "(c) the $want good promotion migrations before V99 were applied" ||
    fail "(c) $good of the $want good promotion migrations applied"
else
  dump_project "$B"
fi
# `up` itself fails, naming promotion and "unhealthy" (v1: 'ERROR: for promotion  Container "<id>"
# is unhealthy.' once every other service is up; v2: 'dependency failed to start: container ...
# is unhealthy'). v1 reports when its whole parallel `up` is over, here after product's 20 s.
up_b_rc=0
wait_up_b() { ! kill -0 "$up_b" 2>/dev/null; }
wait_for 120 "stack B: compose up to end by itself" wait_up_b || true
up_end_ns="$(date +%s%N)"
if kill -0 "$up_b" 2>/dev/null; then
  kill "$up_b" 2>/dev/null || true
  wait "$up_b" 2>/dev/null || true
  fail "(c) compose up still waiting on promotion-schema 120 s later: $(tail -n 2 "$work/up-b.log" | tr '\n' ' ')"
else
  wait "$up_b" 2>/dev/null || up_b_rc=$?
  if ((up_b_rc != 0)) && grep -qi 'unhealthy' "$work/up-b.log" && grep -q 'promotion' "$work/up-b.log"; then
    ok "(c) compose up failed by itself (exit $up_b_rc) $(((up_end_ns - ${fail_ns:-0}) / 1000000))ms after the failure, bounded by product's ${slow_seconds}s migration: $(grep -i -m1 'unhealthy' "$work/up-b.log")"
  else
    fail "(c) compose up ended with $up_b_rc without naming the unhealthy sidecar: $(tail -n 3 "$work/up-b.log" | tr '\n' ' ')"
  fi
fi
# Asking for the broken service again: compose answers at once.
again_start="$(date +%s%N)"
again_rc=0
compose_within 60 "$B" "$work/broken.yaml" -- up -d --no-build promotion >"$work/up-b2.log" 2>&1 || again_rc=$?
again_ms=$((($(date +%s%N) - again_start) / 1000000))
if ((again_rc != 0 && again_ms < 10000)) && grep -qi 'unhealthy' "$work/up-b2.log"; then
  ok "(c) 'up -d promotion' fails in ${again_ms}ms (target: under 10 s): $(grep -i -m1 'unhealthy' "$work/up-b2.log")"
else
  fail "(c) 'up -d promotion': exit $again_rc after ${again_ms}ms: $(tail -n 3 "$work/up-b2.log" | tr '\n' ' ')"
fi
((failures > 0)) && dump_project "$B"
log "stack B: down"
compose_within 120 "$B" "$work/broken.yaml" -- down -v -t 5 >/dev/null 2>&1 || true

# --- stack C: schema-per-service ------------------------------------------------------------------------
C="${prefix}c"
projects+=("$C")
override="$repo/docker/compose.schema-per-service.yaml"
log "stack C: up -d with docker/compose.schema-per-service.yaml"
up_start=$SECONDS
if compose_within 600 "$C" "$override" -- up -d --no-build >"$work/up-c.log" 2>&1 &&
  wait_ready 180 "stack C: every demo service ready" "$C" "${services[@]}"; then
  log "stack C: all services ready $((SECONDS - up_start))s after 'up'"
  for s in "${services[@]}"; do
    row="$(sql "$C" commerce "SELECT pg_get_userbyid(n.nspowner) || ' ' || (to_regclass('$s.schemagate_history') IS NOT NULL) || ' ' || (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind = 'r') FROM pg_namespace n WHERE n.nspname = '$s'")"
    svc_log="$(docker logs "$(cid "$C" "$s")" 2>&1)"
    who="$(grep -o 'connecting as .*' <<<"$svc_log" | head -n1 || true)"
    found="$(grep -o 'schema [a-z]*$' <<<"$who" || true)"
    if [[ "$row" =~ ^$s\ true\ ([0-9]+)$ && "$found" == "schema $s" && "$who" == "connecting as $s to database commerce, schema $s" ]]; then
      ok "(f) schema $s in database commerce, owned by role $s, ${BASH_REMATCH[1]} tables with the history; the service: $who, $(grep -o 'found [0-9]* tables' <<<"$svc_log")"
    else
      fail "(f) schema $s: owner/history/tables='$row', service log: '$who'"
    fi
  done
  dbs="$(sql "$C" postgres "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE '%\_db'")"
  [[ -z "$dbs" ]] && ok "(f) no per-service databases were created" || fail "(f) per-service databases exist: $dbs"
else
  cat "$work/up-c.log" >&2
  dump_project "$C"
  fail "(f) the schema-per-service stack did not come up"
fi

# --- D: TLS through the image's linked-in OpenSSL -------------------------------------------------------
# A postgres:15 with ssl=on and a certificate for the name "tlsdb", signed by a CA made here.
# sslmode=verify-full with that CA must connect and apply; the same server reached under another
# name must be refused at once (exit 3, a certificate line), not retried. Plain docker, labelled
# as project D so the cleanup removes it.
D="${prefix}d"
projects+=("$D")
certs="$work/tls"
mkdir -p "$certs/migrations"
if ! command -v openssl >/dev/null; then
  fail "(g) openssl is missing (apt-get install openssl): cannot make the test certificates"
else
  (
    cd "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=schemagate e2e CA" \
      -keyout ca.key -out ca.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=tlsdb" -keyout server.key -out server.csr
    printf 'subjectAltName=DNS:tlsdb\n' >san.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile san.ext -out server.crt
  ) >"$work/tls-certs.log" 2>&1 || fail "(g) openssl could not make the test certificates: $(tail -n 3 "$work/tls-certs.log")"
  # postgres (uid 999 in the official image and ours) reads the key; it must not be world-readable.
  chown 999:999 "$certs/server.key" && chmod 600 "$certs/server.key"
  chmod 644 "$certs/ca.crt" "$certs/server.crt"
  chmod 755 "$certs" "$certs/migrations"
  printf 'CREATE TABLE tls_probe (id int PRIMARY KEY);\n' >"$certs/migrations/V1__tls_probe.sql"
  chmod 644 "$certs/migrations/V1__tls_probe.sql"
  net="${D}_tls"
  label=(--label "com.docker.compose.project=$D")
  pw="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  if docker network create "${label[@]}" "$net" >/dev/null &&
    docker run -d "${label[@]}" --name "${D}_tlsdb" --network "$net" --network-alias tlsdb \
      --network-alias otherdb -e POSTGRES_PASSWORD="$pw" -v "$certs:/certs:ro" postgres:15 \
      -c ssl=on -c ssl_cert_file=/certs/server.crt -c ssl_key_file=/certs/server.key >/dev/null &&
    wait_for 120 "the TLS server to accept connections" \
      docker exec -e PGPASSWORD="$pw" "${D}_tlsdb" psql -X -At -h 127.0.0.1 -U postgres -c 'SELECT 1'; then
    tls_run() { # host: schemagate migrate with verify-full against that name, at most 120 s
      timeout 120 docker run --rm "${label[@]}" --network "$net" --read-only \
        -v "$certs/ca.crt:/certs/ca.crt:ro" -v "$certs/migrations:/migrations:ro" \
        -e DATABASE_URL="postgresql://postgres:$pw@$1:5432/postgres?sslmode=verify-full&sslrootcert=/certs/ca.crt" \
        -e SCHEMAGATE_SERVICE=tls -e DB_INIT_TIMEOUT=5 "$image" migrate 2>&1
    }
    if out="$(tls_run tlsdb)"; then
      applied="$(docker exec -e PGPASSWORD="$pw" "${D}_tlsdb" psql -X -At -h 127.0.0.1 -U postgres -c "SELECT count(*) FROM public.schemagate_history WHERE version = '1' AND success" 2>&1)"
      if [[ "$applied" == 1 ]]; then
        ok "(g) sslmode=verify-full to a TLS server with its CA: connected and applied V1"
      else
        fail "(g) migrate over TLS exited 0 but the history says '$applied'"
      fi
    else
      fail "(g) migrate over TLS (verify-full) failed: $(tail -n 3 <<<"$out")"
    fi
    start=$SECONDS
    out="$(tls_run otherdb)" && rc=0 || rc=$?
    if ((rc == 3 && SECONDS - start < 30)) && grep -qi 'certificate' <<<"$out"; then
      ok "(g) the same server under a name its certificate lacks: refused at once, exit 3: $(grep -i 'certificate' <<<"$out" | tail -n1 | cut -c1-200)"
    else
      fail "(g) verify-full against a wrong host name: exit $rc after $((SECONDS - start))s: $(tail -n 2 <<<"$out")"
    fi
  else
    docker logs "${D}_tlsdb" 2>&1 | tail -n 20 >&2 || true
    fail "(g) the TLS server did not start"
  fi
fi

if ((failures > 0)); then
  log "FAILED: $failures assertion(s); wall time $((SECONDS - t0))s"
  exit 1
fi
log "all end-to-end assertions held; image $image_size; wall time $((SECONDS - t0))s (cleanup follows)"
exit 0
}
