import NIOCore

/// Parses `date`, `time`, `timetz`, `timestamp` and `timestamptz` as PostgreSQL prints them with
/// `DateStyle=ISO`: `2024-01-02 03:04:05.5+05:30`, `0044-03-15 BC`, `infinity`.
enum DateTimeTextParser {
    static func date(_ bytes: ByteBufferView) throws(DecodeFailure) -> PostgresDate {
        try bytes.withBytes { bytes throws(DecodeFailure) in try self.date(bytes) }
    }

    private static func date(_ bytes: UnsafeBufferPointer<UInt8>) throws(DecodeFailure) -> PostgresDate {
        if bytes.elementsEqual("infinity".utf8) { return .infinity }
        if bytes.elementsEqual("-infinity".utf8) { return .negativeInfinity }
        var scanner = TextScanner(bytes)
        let (year, month, day) = try self.calendarDate(&scanner)
        let isBC = scanner.consume(" BC")
        try scanner.requireEnd()
        guard let date = PostgresDate(year: isBC ? 1 - year : year, month: month, day: day) else {
            throw DecodeFailure(.outOfRange, "date out of range")
        }
        return date
    }

    static func timestamp(_ bytes: ByteBufferView, withZone: Bool) throws(DecodeFailure) -> PostgresTimestamp {
        try bytes.withBytes { bytes throws(DecodeFailure) in try self.timestamp(bytes, withZone: withZone) }
    }

    private static func timestamp(
        _ bytes: UnsafeBufferPointer<UInt8>,
        withZone: Bool
    ) throws(DecodeFailure) -> PostgresTimestamp {
        if bytes.elementsEqual("infinity".utf8) { return .infinity }
        if bytes.elementsEqual("-infinity".utf8) { return .negativeInfinity }
        var scanner = TextScanner(bytes)
        let (year, month, day) = try self.calendarDate(&scanner)
        try scanner.expect(UInt8(ascii: " "))
        let time = try self.time(&scanner)
        let offset = withZone ? try self.offset(&scanner) : 0
        let isBC = scanner.consume(" BC")
        try scanner.requireEnd()
        guard time < PostgresCalendar.microsecondsPerDay,
            let date = PostgresDate(year: isBC ? 1 - year : year, month: month, day: day)
        else {
            throw DecodeFailure(.outOfRange, "timestamp out of range")
        }
        let local = Int64(date.daysSince2000) * PostgresCalendar.microsecondsPerDay + time
        return PostgresTimestamp(microsecondsSince2000: local - Int64(offset) * 1_000_000)
    }

    /// `YYYY-MM-DD` (four or more year digits).
    private static func calendarDate<Bytes>(
        _ scanner: inout TextScanner<Bytes>
    ) throws(DecodeFailure) -> (Int, Int, Int) {
        let year = try scanner.readDigits(minimum: 4, maximum: 7)
        try scanner.expect(UInt8(ascii: "-"))
        let month = try scanner.readDigits(minimum: 2, maximum: 2)
        try scanner.expect(UInt8(ascii: "-"))
        let day = try scanner.readDigits(minimum: 2, maximum: 2)
        return (Int(year), Int(month), Int(day))
    }

    /// `HH:MM:SS[.ffffff]` as microseconds since midnight (up to `24:00:00`).
    static func time<Bytes>(_ scanner: inout TextScanner<Bytes>) throws(DecodeFailure) -> Int64 {
        let hour = try scanner.readDigits(minimum: 2, maximum: 2)
        try scanner.expect(UInt8(ascii: ":"))
        let minute = try scanner.readDigits(minimum: 2, maximum: 2)
        try scanner.expect(UInt8(ascii: ":"))
        let second = try scanner.readDigits(minimum: 2, maximum: 2)
        let fraction = try scanner.readFraction()
        guard hour <= 24, minute < 60, second < 60 else { throw DecodeFailure(.outOfRange, "time out of range") }
        let total = ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction
        guard total <= PostgresCalendar.microsecondsPerDay else {
            throw DecodeFailure(.outOfRange, "time out of range")
        }
        return total
    }

    /// `+HH`, `+HH:MM` or `+HH:MM:SS` as seconds east of UTC.
    static func offset<Bytes>(_ scanner: inout TextScanner<Bytes>) throws(DecodeFailure) -> Int32 {
        let sign: Int64
        if scanner.consume(UInt8(ascii: "+")) {
            sign = 1
        } else if scanner.consume(UInt8(ascii: "-")) {
            sign = -1
        } else {
            throw DecodeFailure(.malformedText, "expected a UTC offset at offset \(scanner.offset)")
        }
        let hours = try scanner.readDigits(minimum: 2, maximum: 2)
        var minutes: Int64 = 0
        var seconds: Int64 = 0
        if scanner.consume(UInt8(ascii: ":")) {
            minutes = try scanner.readDigits(minimum: 2, maximum: 2)
            if scanner.consume(UInt8(ascii: ":")) {
                seconds = try scanner.readDigits(minimum: 2, maximum: 2)
            }
        }
        guard minutes < 60, seconds < 60 else { throw DecodeFailure(.outOfRange, "UTC offset out of range") }
        return Int32(sign * (hours * 3600 + minutes * 60 + seconds))
    }
}
