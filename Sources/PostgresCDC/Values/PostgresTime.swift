/// A `time` (without time zone): microseconds since midnight, `00:00:00` to `24:00:00`.
public struct PostgresTime: Sendable, Hashable, CustomStringConvertible {
    /// Microseconds since midnight.
    public var microsecondsSinceMidnight: Int64

    /// Creates a time from its wire value.
    /// - Parameter microsecondsSinceMidnight: microseconds since midnight.
    public init(microsecondsSinceMidnight: Int64) {
        self.microsecondsSinceMidnight = microsecondsSinceMidnight
    }

    /// Creates a time from clock fields.
    /// - Parameters:
    ///   - hour: 0 to 24.
    ///   - minute: 0 to 59.
    ///   - second: 0 to 59.
    ///   - microsecond: 0 to 999999.
    public init(hour: Int, minute: Int, second: Int, microsecond: Int = 0) {
        self.microsecondsSinceMidnight =
            ((Int64(hour) * 60 + Int64(minute)) * 60 + Int64(second)) * 1_000_000 + Int64(microsecond)
    }

    /// ISO-8601 (`04:05:06.789`), fraction without trailing zeros.
    public var description: String {
        var bytes: [UInt8] = []
        PostgresCalendar.appendTime(microseconds: self.microsecondsSinceMidnight, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
