public import Foundation

/// One decoded column value, with the same result for the text and the binary wire format.
public enum PostgresValue: Sendable, Hashable {
    /// SQL `NULL` (also an array element that is `NULL`).
    case null
    /// `bool`.
    case bool(Bool)
    /// `int2`, `int4`, `int8` and `oid`.
    case int(Int64)
    /// `float4` and `float8`, including NaN and ±infinity. A `float4` is widened from its `Float` value.
    case double(Double)
    /// `numeric`, exact.
    case numeric(PostgresNumeric)
    /// `text`, `varchar`, `bpchar`, `char`, `name`, `xml` and enum labels.
    case string(String)
    /// `uuid`.
    case uuid(UUID)
    /// `json` and `jsonb`, as the JSON text PostgreSQL prints.
    case json(String)
    /// `bytea`.
    case bytes([UInt8])
    /// `date`.
    case date(PostgresDate)
    /// `time` (without time zone).
    case time(PostgresTime)
    /// `timetz`.
    case timeTZ(PostgresTimeTZ)
    /// `timestamp` (without time zone).
    case timestamp(PostgresTimestamp)
    /// `timestamptz`, an instant (rendered in UTC).
    case timestampTZ(PostgresTimestamp)
    /// `interval`.
    case interval(PostgresInterval)
    /// `inet`, as PostgreSQL prints it (`192.168.0.1`, `10.0.0.1/8`, `::1`).
    case inet(String)
    /// `cidr`, as PostgreSQL prints it (`10.0.0.0/8`).
    case cidr(String)
    /// `macaddr` and `macaddr8`, as PostgreSQL prints them (`08:00:2b:01:02:03`).
    case macaddr(String)
    /// An array of any dimension.
    case array(PostgresArray)
    /// A type without a dedicated decoder: its text output, or `\x` and hex digits of its binary form.
    case other(typeOID: UInt32, text: String)
}
