public import Foundation

/// A `date`: days since 2000-01-01, or `infinity` / `-infinity`.
///
/// Dates before year 1 are BC (PostgreSQL prints `0044-03-15 BC`); ``description`` uses ISO-8601's astronomical
/// years instead (`-0043-03-15`).
public struct PostgresDate: Sendable, Hashable, CustomStringConvertible {
    /// Days since 2000-01-01; `Int32.max` is `infinity` and `Int32.min` is `-infinity`, as on the wire.
    public var daysSince2000: Int32

    /// Creates a date from its wire value.
    /// - Parameter daysSince2000: days since 2000-01-01 (`Int32.max`/`Int32.min` for ±infinity).
    public init(daysSince2000: Int32) {
        self.daysSince2000 = daysSince2000
    }

    /// Creates a date from calendar fields.
    /// - Parameters:
    ///   - year: the astronomical year (0 is 1 BC, -1 is 2 BC).
    ///   - month: 1 to 12.
    ///   - day: 1 to the month's length.
    /// - Returns: `nil` when the fields do not name a day PostgreSQL can store.
    public init?(year: Int, month: Int, day: Int) {
        guard PostgresCalendar.isValid(year: year, month: month, day: day), year > -4713, year < 5_874_898 else {
            return nil
        }
        let days = PostgresCalendar.julianDay(year: year, month: month, day: day) - PostgresCalendar.epochJulianDay
        guard let value = Int32(exactly: days), value != .max, value != .min else { return nil }
        self.daysSince2000 = value
    }

    /// `infinity`, later than every date.
    public static let infinity = PostgresDate(daysSince2000: .max)
    /// `-infinity`, earlier than every date.
    public static let negativeInfinity = PostgresDate(daysSince2000: .min)

    /// Whether this is neither `infinity` nor `-infinity`.
    public var isFinite: Bool { self.daysSince2000 != .max && self.daysSince2000 != .min }

    /// The calendar fields (astronomical year), or `nil` for ±infinity.
    public var components: (year: Int, month: Int, day: Int)? {
        guard self.isFinite else { return nil }
        return PostgresCalendar.date(julianDay: Int(self.daysSince2000) + PostgresCalendar.epochJulianDay)
    }

    /// Midnight UTC of this day, or `nil` for ±infinity.
    public var date: Date? {
        guard self.isFinite else { return nil }
        let seconds = Int64(self.daysSince2000) * 86400 + PostgresCalendar.unixEpochOffsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// ISO-8601 (`2024-02-29`, `-0043-03-15`), or `infinity` / `-infinity`.
    public var description: String {
        if self.daysSince2000 == .max { return "infinity" }
        if self.daysSince2000 == .min { return "-infinity" }
        var bytes: [UInt8] = []
        PostgresCalendar.appendISODate(
            julianDay: Int(self.daysSince2000) + PostgresCalendar.epochJulianDay,
            to: &bytes
        )
        return String(decoding: bytes, as: UTF8.self)
    }
}
