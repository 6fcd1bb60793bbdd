/// A `timetz`: a time of day and the UTC offset it was written with.
///
/// - Important: ``utcOffsetSeconds`` is seconds *east* of UTC, like ISO-8601 (`+05:30` is 19800). The binary
///   wire format stores seconds *west* of UTC; the decoder flips the sign.
public struct PostgresTimeTZ: Sendable, Hashable, CustomStringConvertible {
    /// The local time of day.
    public var time: PostgresTime
    /// Seconds east of UTC (`+05:30` is 19800, `-03` is -10800).
    public var utcOffsetSeconds: Int32

    /// Creates a time with a zone offset.
    /// - Parameters:
    ///   - time: the local time of day.
    ///   - utcOffsetSeconds: seconds east of UTC.
    public init(time: PostgresTime, utcOffsetSeconds: Int32) {
        self.time = time
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// ISO-8601 (`04:05:06.789+05:30`, `12:00:00+05:45:30`).
    public var description: String {
        var text = self.time.description
        PostgresCalendar.appendOffset(secondsEast: Int(self.utcOffsetSeconds), to: &text)
        return text
    }
}
