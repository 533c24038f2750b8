#!/usr/bin/env bash
# A stand-in for a real application in the demo stack: it starts only after its schemagate
# sidecar reported healthy, connects AS ITS OWN ROLE to its own database (DATABASE_URL_FILE),
# lists the tables it finds with their row counts, writes and reads a row, then idles until
# SIGTERM. If it finds no tables it exits 1: the sidecar did not do its job.
set -euo pipefail

service="${DEMO_SERVICE:?set DEMO_SERVICE}"
url="$(<"${DATABASE_URL_FILE:?set DATABASE_URL_FILE}")"
log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$service" "$*"; }

stop() { log "SIGTERM received, stopping"; exit 0; }
trap stop TERM INT

psql_at() { psql -X -At -q -v ON_ERROR_STOP=1 --no-psqlrc -d "$url" -c "$1"; }

log "started; connecting as $(psql_at "SELECT current_user || ' to database ' || current_database() || ', schema ' || current_schema()")"

# Each table of this service's schema with its exact row count.
tables="$(psql_at "
  SELECT string_agg(format('%s=%s', c.relname,
                           (xpath('/row/n/text()',
                                  query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname),
                                               false, true, '')))[1]::text), ' ' ORDER BY c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')")"
count="$(wc -w <<<"$tables")"
if [[ "$count" -le 1 ]]; then
  log "FOUND NO TABLES (only: ${tables:-nothing}); was the schema sidecar skipped?"
  exit 1
fi
log "found $count tables: $tables"

# One write and a read back, as the application would do.
case "$service" in
  auth)
    result="$(psql_at "INSERT INTO user_sessions (user_id, token_hash, expires_at)
                       SELECT id, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), now() + interval '1 hour'
                       FROM users WHERE email = 'alice@example.com'
                       RETURNING 'new session for alice, ' || (SELECT count(*) + 1 FROM user_sessions) || ' sessions in total'")" ;;
  product)
    result="$(psql_at "UPDATE product_inventory SET quantity = quantity + 1
                       WHERE product_id = (SELECT id FROM products WHERE sku = 'MUG-ENAMEL-003')
                       RETURNING 'restocked MUG-ENAMEL-003, quantity now ' || quantity")" ;;
  cart)
    result="$(psql_at "INSERT INTO cart_items (cart_id, product_id, sku, quantity, unit_price_cents)
                       VALUES ('10000000-0000-4000-8000-000000000001', 1, 'TSHIRT-ORG-001', 1, 2490)
                       ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = least(cart_items.quantity + 1, 999)
                       RETURNING 'added TSHIRT-ORG-001 to the demo cart, quantity now ' || quantity")" ;;
  promotion)
    result="$(psql_at "INSERT INTO promo_usage (promo_code_id, user_id, order_ref, discount_cents)
                       SELECT id, '00000000-0000-4000-8000-000000000003', 'demo-' || gen_random_uuid(), 249
                       FROM promo_codes WHERE upper(code) = 'WELCOME10'
                       RETURNING 'redeemed WELCOME10, ' || (SELECT count(*) + 1 FROM promo_usage) || ' redemptions in total'")" ;;
  *)
    result="no demo write for this service" ;;
esac
log "wrote and read back: $result"
log "ready; idling until SIGTERM"

while :; do
  sleep 3600 &
  wait $! || true
done
