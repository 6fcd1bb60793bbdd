/// An `interval`: months, days and microseconds, kept apart as PostgreSQL does (a month is not 30 days).
public struct PostgresInterval: Sendable, Hashable, CustomStringConvertible {
    /// Months (years are 12 months).
    public var months: Int32
    /// Days.
    public var days: Int32
    /// Microseconds.
    public var microseconds: Int64

    /// Creates an interval.
    /// - Parameters:
    ///   - months: months (years × 12 + months).
    ///   - days: days.
    ///   - microseconds: microseconds.
    public init(months: Int32 = 0, days: Int32 = 0, microseconds: Int64 = 0) {
        self.months = months
        self.days = days
        self.microseconds = microseconds
    }

    /// ISO-8601 duration as PostgreSQL's `IntervalStyle=iso_8601` prints it: `P1Y2M3DT4H5M6.789S`,
    /// `P-1Y-2M3DT-4H-5M-6.789S`, `PT0S` for zero.
    public var description: String {
        if self.months == 0 && self.days == 0 && self.microseconds == 0 { return "PT0S" }
        var text = "P"
        let years = self.months / 12
        let months = self.months % 12
        if years != 0 { text += "\(years)Y" }
        if months != 0 { text += "\(months)M" }
        if self.days != 0 { text += "\(self.days)D" }
        if self.microseconds != 0 {
            text += "T"
            let hours = self.microseconds / 3_600_000_000
            let minutes = self.microseconds / 60_000_000 % 60
            let seconds = self.microseconds / 1_000_000 % 60
            let fraction = Int(self.microseconds % 1_000_000)
            if hours != 0 { text += "\(hours)H" }
            if minutes != 0 { text += "\(minutes)M" }
            if seconds != 0 || fraction != 0 {
                if seconds == 0 && fraction < 0 { text += "-" }
                text += "\(seconds)"
                PostgresCalendar.appendFraction(microseconds: fraction, to: &text)
                text += "S"
            }
        }
        return text
    }
}
