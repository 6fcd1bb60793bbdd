public import Foundation

/// A `timestamp` or `timestamptz`: microseconds since 2000-01-01 00:00:00, or `infinity` / `-infinity`.
///
/// For `timestamptz` (``PostgresValue/timestampTZ(_:)``) the value is an instant in UTC; for `timestamp`
/// (``PostgresValue/timestamp(_:)``) it is a wall-clock reading without a zone.
public struct PostgresTimestamp: Sendable, Hashable, CustomStringConvertible {
    /// Microseconds since 2000-01-01 00:00:00; `Int64.max` is `infinity`, `Int64.min` is `-infinity`.
    public var microsecondsSince2000: Int64

    /// Creates a timestamp from its wire value.
    /// - Parameter microsecondsSince2000: microseconds since 2000-01-01 (`Int64.max`/`.min` for ±infinity).
    public init(microsecondsSince2000: Int64) {
        self.microsecondsSince2000 = microsecondsSince2000
    }

    /// Creates a timestamp from calendar and clock fields.
    /// - Parameters:
    ///   - year: the astronomical year (0 is 1 BC).
    ///   - month: 1 to 12.
    ///   - day: 1 to the month's length.
    ///   - hour: 0 to 23.
    ///   - minute: 0 to 59.
    ///   - second: 0 to 59.
    ///   - microsecond: 0 to 999999.
    /// - Returns: `nil` when a field is out of range.
    public init?(
        year: Int,
        month: Int,
        day: Int,
        hour: Int = 0,
        minute: Int = 0,
        second: Int = 0,
        microsecond: Int = 0
    ) {
        guard let date = PostgresDate(year: year, month: month, day: day),
            (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second),
            (0..<1_000_000).contains(microsecond)
        else { return nil }
        let time = ((Int64(hour) * 60 + Int64(minute)) * 60 + Int64(second)) * 1_000_000 + Int64(microsecond)
        self.microsecondsSince2000 = Int64(date.daysSince2000) * PostgresCalendar.microsecondsPerDay + time
    }

    /// `infinity`, later than every timestamp.
    public static let infinity = PostgresTimestamp(microsecondsSince2000: .max)
    /// `-infinity`, earlier than every timestamp.
    public static let negativeInfinity = PostgresTimestamp(microsecondsSince2000: .min)

    /// Whether this is neither `infinity` nor `-infinity`.
    public var isFinite: Bool { self.microsecondsSince2000 != .max && self.microsecondsSince2000 != .min }

    /// The same instant as a Foundation `Date` (read as UTC), or `nil` for ±infinity.
    public var date: Date? {
        guard self.isFinite else { return nil }
        let seconds = self.microsecondsSince2000.dividedRoundingDown(by: 1_000_000)
        let micros = self.microsecondsSince2000 - seconds * 1_000_000
        return Date(
            timeIntervalSince1970: TimeInterval(seconds + PostgresCalendar.unixEpochOffsetSeconds)
                + TimeInterval(micros) / 1_000_000
        )
    }

    /// ISO-8601 without a zone (`2024-01-02T03:04:05.123456`), or `infinity` / `-infinity`.
    public var description: String {
        self.iso8601String(utc: false)
    }

    /// ISO-8601 text.
    /// - Parameter utc: whether to append `Z` (for `timestamptz`).
    /// - Returns: `2024-01-02T03:04:05.5Z` (fraction without trailing zeros, astronomical years), or
    ///   `infinity` / `-infinity`.
    public func iso8601String(utc: Bool) -> String {
        if self.microsecondsSince2000 == .max { return "infinity" }
        if self.microsecondsSince2000 == .min { return "-infinity" }
        let days = self.microsecondsSince2000.dividedRoundingDown(by: PostgresCalendar.microsecondsPerDay)
        let time = self.microsecondsSince2000 - days * PostgresCalendar.microsecondsPerDay
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        PostgresCalendar.appendISODate(julianDay: Int(days) + PostgresCalendar.epochJulianDay, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        PostgresCalendar.appendTime(microseconds: time, to: &bytes)
        if utc { bytes.append(UInt8(ascii: "Z")) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Int64 {
    /// Floor division (rounds toward negative infinity).
    func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
