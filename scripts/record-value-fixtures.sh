#!/usr/bin/env bash
# Re-records the column value fixtures used by Tests/PostgresCDCTests (ColumnValue decoding).
#
# For every case it stores what a real server produces for one value: the type OID, the type's text output
# (what pgoutput sends as 't') and the type's binary send bytes (what pgoutput sends as 'b' with binary 'true'),
# both hex-encoded. It also stores the catalog rows of the enum and domain types the cases use.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... scripts/record-value-fixtures.sh
# The server must be PostgreSQL 14 or later. A scratch database `pgcdc_value_fixtures` is dropped and recreated.
set -euo pipefail

out_dir="$(cd "$(dirname "$0")/.." && pwd)/Tests/PostgresCDCTests/Fixtures"
db=pgcdc_value_fixtures
psql_admin=(psql -X -v ON_ERROR_STOP=1 -q -d postgres -c "SET client_min_messages = warning")
psql_db=(psql -X -v ON_ERROR_STOP=1 -q -At -d "$db")

"${psql_admin[@]}" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0"

"${psql_db[@]}" >/dev/null <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'très "content"');
CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
CREATE TABLE fixture (name text PRIMARY KEY, type_oid oid, text_hex text, binary_hex text);

-- Records one value: its text output in the given TimeZone and its binary send bytes.
CREATE FUNCTION rec(case_name text, v anyelement, tz text DEFAULT 'UTC') RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    send regproc;
    output regproc;
    text_hex text;
    binary_hex text;
BEGIN
    PERFORM set_config('TimeZone', tz, true);
    PERFORM set_config('DateStyle', 'ISO, MDY', true);
    PERFORM set_config('IntervalStyle', 'postgres', true);
    PERFORM set_config('extra_float_digits', '1', true);
    -- The type's own output and send functions: what pgoutput sends (a cast to text differs for bool, inet, ...).
    SELECT t.typsend, t.typoutput INTO send, output FROM pg_type t WHERE t.oid = pg_typeof(v)::oid;
    EXECUTE format('SELECT encode(convert_to(%s($1)::text, ''UTF8''), ''hex''), encode(%s($1), ''hex'')', output, send)
        INTO text_hex, binary_hex USING v;
    INSERT INTO fixture VALUES (case_name, pg_typeof(v)::oid, text_hex, binary_hex);
END $$;

SELECT rec('bool_true', true);
SELECT rec('bool_false', false);
SELECT rec('int2_min', (-32768)::int2);
SELECT rec('int2_max', 32767::int2);
SELECT rec('int4_min', (-2147483648)::int4);
SELECT rec('int4_max', 2147483647::int4);
SELECT rec('int8_min', (-9223372036854775808)::int8);
SELECT rec('int8_max', 9223372036854775807::int8);
SELECT rec('oid_max', 4294967295::oid);
SELECT rec('float4_pi', 3.14159::float4);
SELECT rec('float4_nan', 'NaN'::float4);
SELECT rec('float4_inf', 'Infinity'::float4);
SELECT rec('float8_tiny', 1e-300::float8);
SELECT rec('float8_max', 1.7976931348623157e308::float8);
SELECT rec('float8_tenth', (-0.1)::float8);
SELECT rec('float8_third', (1.0/3)::float8);
SELECT rec('float8_nan', 'NaN'::float8);
SELECT rec('float8_inf', 'Infinity'::float8);
SELECT rec('float8_neginf', '-Infinity'::float8);
SELECT rec('numeric_big', 12345678901234567890.000000001::numeric);
SELECT rec('numeric_trailing_zeros', (-12.3400)::numeric);
SELECT rec('numeric_zero', 0::numeric);
SELECT rec('numeric_zero_scale', 0.000::numeric);
SELECT rec('numeric_small', 0.00000000000000000001::numeric);
SELECT rec('numeric_hundred_million', 100000000::numeric);
SELECT rec('numeric_typmod', 5::numeric(10, 2));
SELECT rec('numeric_nan', 'NaN'::numeric);
SELECT rec('numeric_inf', 'Infinity'::numeric);
SELECT rec('numeric_neginf', '-Infinity'::numeric);
SELECT rec('text_empty', ''::text);
SELECT rec('text_plain', 'hello'::text);
SELECT rec('text_escapes', E'say "hi" \\ back\tslash\nnew line'::text);
SELECT rec('text_unicode', 'héllo ✓ 🎉 ' || chr(8232)::text);
SELECT rec('text_null_word', 'NULL'::text);
SELECT rec('varchar', 'abc'::varchar(10));
SELECT rec('bpchar_padded', 'ab'::char(5));
SELECT rec('char', 'x'::"char");
SELECT rec('name', 'pg_class'::name);
SELECT rec('uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid);
SELECT rec('json', '{"a": [1, 2.50, null], "s": "x\"y"}'::json);
SELECT rec('jsonb', '{"b": 1, "a": "x\u00e9", "n": 1.50}'::jsonb);
SELECT rec('xml', '<a>x &amp; y</a>'::xml);
SELECT rec('bytea', '\xdeadbeef00'::bytea);
SELECT rec('bytea_empty', ''::bytea);
SELECT rec('date', '2024-02-29'::date);
SELECT rec('date_epoch', '2000-01-01'::date);
SELECT rec('date_before_epoch', '1999-12-31'::date);
SELECT rec('date_bc', '0044-03-15 BC'::date);
SELECT rec('date_min', '4713-01-01 BC'::date);
SELECT rec('date_max', '5874897-12-31'::date);
SELECT rec('date_inf', 'infinity'::date);
SELECT rec('date_neginf', '-infinity'::date);
SELECT rec('time_midnight', '00:00:00'::time);
SELECT rec('time_max', '23:59:59.999999'::time);
SELECT rec('time_24', '24:00:00'::time);
SELECT rec('time_half', '12:34:56.5'::time);
SELECT rec('timetz_india', '04:05:06.789+05:30'::timetz);
SELECT rec('timetz_negative', '23:59:59-03'::timetz);
SELECT rec('timetz_seconds_offset', '12:00:00+05:45:30'::timetz);
SELECT rec('timetz_utc', '00:00:00+00'::timetz);
SELECT rec('timestamp', '2024-01-02 03:04:05.123456'::timestamp);
SELECT rec('timestamp_epoch', '2000-01-01 00:00:00'::timestamp);
SELECT rec('timestamp_unix_epoch', '1970-01-01 00:00:00'::timestamp);
SELECT rec('timestamp_bc', '0044-03-15 12:00:00.5 BC'::timestamp);
SELECT rec('timestamp_max', '294276-12-31 23:59:59.999999'::timestamp);
SELECT rec('timestamp_inf', 'infinity'::timestamp);
SELECT rec('timestamp_neginf', '-infinity'::timestamp);
SELECT rec('timestamptz_utc', '2024-01-02 03:04:05.5+00'::timestamptz);
SELECT rec('timestamptz_kolkata', '2024-01-02 03:04:05.5+00'::timestamptz, 'Asia/Kolkata');
SELECT rec('timestamptz_sao_paulo', '2024-01-02 03:04:05.5+00'::timestamptz, 'America/Sao_Paulo');
SELECT rec('timestamptz_kathmandu', '2024-01-02 03:04:05.5+00'::timestamptz, 'Asia/Kathmandu');
SELECT rec('timestamptz_amsterdam_lmt', '1900-01-01 00:00:00+00'::timestamptz, 'Europe/Amsterdam');
SELECT rec('timestamptz_bc', '0100-01-01 00:00:00+00 BC'::timestamptz);
SELECT rec('timestamptz_inf', 'infinity'::timestamptz, 'Asia/Kolkata');
SELECT rec('interval_full', '1 year 2 mons 3 days 04:05:06.789'::interval);
SELECT rec('interval_negative', '-1 year -2 mons +3 days -04:05:06.789'::interval);
SELECT rec('interval_zero', '0'::interval);
SELECT rec('interval_day', '1 day'::interval);
SELECT rec('interval_neg_fraction', '-0.5 seconds'::interval);
SELECT rec('interval_hours', '100 hours'::interval);
SELECT rec('interval_neg_month', '-1 mons'::interval);
SELECT rec('interval_years', '178000000 years'::interval);
SELECT rec('inet_host', '192.168.0.1'::inet);
SELECT rec('inet_prefix', '192.168.0.1/24'::inet);
SELECT rec('inet_v6_loopback', '::1'::inet);
SELECT rec('inet_v6_prefix', '2001:db8::1/64'::inet);
SELECT rec('inet_v6_mapped', '::ffff:1.2.3.4'::inet);
SELECT rec('inet_v6_two_runs', '1:0:0:2:0:0:0:3'::inet);
SELECT rec('inet_v6_any', '::'::inet);
SELECT rec('cidr_v4', '192.168.0.0/24'::cidr);
SELECT rec('cidr_v4_host', '10.1.2.3/32'::cidr);
SELECT rec('cidr_v6', '2001:db8::/32'::cidr);
SELECT rec('macaddr', '08:00:2b:01:02:03'::macaddr);
SELECT rec('macaddr8', '08:00:2b:01:02:03:04:05'::macaddr8);
SELECT rec('enum', 'happy'::mood);
SELECT rec('enum_quoted', 'très "content"'::mood);
SELECT rec('domain', 42::posint);
SELECT rec('array_int4_null', '{1,2,NULL}'::int4[]);
SELECT rec('array_int4_2d', '{{1,2},{3,4}}'::int4[]);
SELECT rec('array_int8_3d', '{{{1}},{{-2}}}'::int8[]);
SELECT rec('array_text_bounds', '[0:1]={a,b}'::text[]);
SELECT rec('array_text_quoting', ARRAY['a"b', 'c\d', 'NULL', NULL, '', ' x ', 'a,b', '{}', 'ü']::text[]);
SELECT rec('array_empty', '{}'::int4[]);
SELECT rec('array_numeric', '{1.50,NaN,-Infinity}'::numeric[]);
SELECT rec('array_float8', '{1.5,NaN,Infinity}'::float8[]);
SELECT rec('array_bool', '{t,f,NULL}'::bool[]);
SELECT rec('array_date', '{2024-02-29,infinity,"0044-03-15 BC"}'::date[]);
SELECT rec('array_timestamptz', ARRAY['2024-01-02 03:04:05.5+00', 'infinity']::timestamptz[], 'Asia/Kolkata');
SELECT rec('array_uuid', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid[]);
SELECT rec('array_bytea', ARRAY['\x0102'::bytea, ''::bytea]);
SELECT rec('array_jsonb', ARRAY['{"a": 1}'::jsonb, '[1, "x"]'::jsonb]);
SELECT rec('array_enum', ARRAY['sad', 'très "content"']::mood[]);
SELECT rec('array_interval', ARRAY['1 day 02:00:00'::interval]);
SELECT rec('array_inet', ARRAY['192.168.0.1'::inet, '::1/64']);
SQL

{
    echo "# name	type_oid	text_hex	binary_hex (recorded by scripts/record-value-fixtures.sh)"
    "${psql_db[@]}" -F $'\t' -c "SELECT name, type_oid, text_hex, binary_hex FROM fixture ORDER BY name"
} >"$out_dir/values.tsv"

{
    echo "# oid	namespace	name	kind	related_oid (enum and domain types created by the recording script)"
    "${psql_db[@]}" -F $'\t' -c "
        SELECT t.oid, n.nspname, t.typname,
               CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'b' THEN 'array' END,
               CASE t.typtype WHEN 'd' THEN t.typbasetype WHEN 'b' THEN t.typelem ELSE 0 END
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typname IN ('mood', '_mood', 'posint', '_posint') ORDER BY t.oid"
} >"$out_dir/types.tsv"

"${psql_admin[@]}" -c "DROP DATABASE $db"
echo "wrote $out_dir/values.tsv and $out_dir/types.tsv"
