/// Which kind of server a multi-host connection accepts: libpq's `target_session_attrs` parameter.
///
/// The raw values are libpq's spellings, so `TargetSessionAttributes(rawValue: "read-write")` parses a
/// connection string value.
public enum TargetSessionAttributes: String, Sendable, Hashable, CaseIterable {
    /// Any server will do. libpq's default.
    case any
    /// A server that accepts writes (`default_transaction_read_only` is off and it is not in recovery).
    case readWrite = "read-write"
    /// A server that does not accept writes by default.
    case readOnly = "read-only"
    /// A server that is not in hot standby mode.
    case primary
    /// A server in hot standby mode.
    case standby
    /// A standby if one of the hosts is one, otherwise any server.
    case preferStandby = "prefer-standby"
}
