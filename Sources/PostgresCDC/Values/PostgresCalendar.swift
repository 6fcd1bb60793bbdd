/// PostgreSQL's proleptic Gregorian calendar arithmetic (`date2j`/`j2date` of `datetime.c`).
///
/// Years are astronomical: 1 BC is year 0, 2 BC is year -1.
enum PostgresCalendar {
    /// The Julian day number of 2000-01-01, PostgreSQL's epoch.
    static let epochJulianDay = 2_451_545
    static let microsecondsPerDay: Int64 = 86_400_000_000
    /// Seconds between 1970-01-01 and 2000-01-01.
    static let unixEpochOffsetSeconds: Int64 = 946_684_800

    static func julianDay(year: Int, month: Int, day: Int) -> Int {
        var year = year
        var month = month
        if month > 2 {
            month += 1
            year += 4800
        } else {
            month += 13
            year += 4799
        }
        let century = year / 100
        var julian = year * 365 - 32167
        julian += year / 4 - century + century / 4
        julian += 7834 * month / 256 + day
        return julian
    }

    static func date(julianDay: Int) -> (year: Int, month: Int, day: Int) {
        var julian = julianDay + 32044
        var quad = julian / 146_097
        let extra = (julian - quad * 146_097) * 4 + 3
        julian += 60 + quad * 3 + extra / 146_097
        quad = julian / 1461
        julian -= quad * 1461
        var year = julian * 4 / 1461
        julian = (year != 0) ? ((julian + 305) % 365) : ((julian + 306) % 366)
        julian += 123
        year += quad * 4
        let resultYear = year - 4800
        quad = julian * 2141 / 65536
        let day = julian - 7834 * quad / 256
        let month = (quad + 10) % 12 + 1
        return (resultYear, month, day)
    }

    static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        // No array literal: this runs for every date and timestamp parsed, and the literal allocates.
        switch month {
        case 2: return day <= (leap ? 29 : 28)
        case 4, 6, 9, 11: return day <= 30
        default: return day <= 31
        }
    }

    /// Appends `value` in decimal, zero-padded to `width` digits.
    static func append(_ value: Int, width: Int, to text: inout String) {
        var bytes: [UInt8] = []
        self.append(value, width: width, to: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `value` in decimal, zero-padded to `width` digits.
    ///
    /// The formatters write ASCII bytes and make one `String` at the end: building the text piece by piece with
    /// `String` (interpolation, `count`, `+=`) cost about 7k instructions per timestamp.
    static func append(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        for _ in digits..<max(width, digits) { bytes.append(UInt8(ascii: "0")) }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var index = start + digits - 1
        repeat {
            bytes[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
            index -= 1
        } while magnitude > 0
    }

    /// Appends an ISO-8601 date (`YYYY-MM-DD`, astronomical year, `-YYYY` before year 0).
    static func appendISODate(julianDay: Int, to text: inout String) {
        var bytes: [UInt8] = []
        self.appendISODate(julianDay: julianDay, to: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends an ISO-8601 date (`YYYY-MM-DD`, astronomical year, `-YYYY` before year 0).
    static func appendISODate(julianDay: Int, to bytes: inout [UInt8]) {
        let (year, month, day) = date(julianDay: julianDay)
        append(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(day, width: 2, to: &bytes)
    }

    /// Appends `HH:MM:SS` and, when not zero, `.` and the fraction without trailing zeros.
    static func appendTime(microseconds: Int64, to text: inout String) {
        var bytes: [UInt8] = []
        self.appendTime(microseconds: microseconds, to: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `HH:MM:SS` and, when not zero, `.` and the fraction without trailing zeros.
    static func appendTime(microseconds: Int64, to bytes: inout [UInt8]) {
        let hours = microseconds / 3_600_000_000
        let minutes = (microseconds / 60_000_000) % 60
        let seconds = (microseconds / 1_000_000) % 60
        append(Int(hours), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(Int(minutes), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(Int(seconds), width: 2, to: &bytes)
        appendFraction(microseconds: Int(microseconds % 1_000_000), to: &bytes)
    }

    /// Appends `.ffffff` without trailing zeros, or nothing when `microseconds` is 0.
    static func appendFraction(microseconds: Int, to text: inout String) {
        var bytes: [UInt8] = []
        self.appendFraction(microseconds: microseconds, to: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `.ffffff` without trailing zeros, or nothing when `microseconds` is 0.
    static func appendFraction(microseconds: Int, to bytes: inout [UInt8]) {
        guard microseconds != 0 else { return }
        var fraction = microseconds.magnitude
        var width = 6
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        bytes.append(UInt8(ascii: "."))
        append(Int(fraction), width: width, to: &bytes)
    }

    /// Appends an ISO-8601 UTC offset (`+05:30`, `-03:00`, `+00:19:32`) for seconds east of UTC.
    static func appendOffset(secondsEast: Int, to text: inout String) {
        var bytes: [UInt8] = []
        self.appendOffset(secondsEast: secondsEast, to: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends an ISO-8601 UTC offset (`+05:30`, `-03:00`, `+00:19:32`) for seconds east of UTC.
    static func appendOffset(secondsEast: Int, to bytes: inout [UInt8]) {
        bytes.append(secondsEast < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let magnitude = Int(secondsEast.magnitude)
        append(magnitude / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(magnitude / 60 % 60, width: 2, to: &bytes)
        if magnitude % 60 != 0 {
            bytes.append(UInt8(ascii: ":"))
            append(magnitude % 60, width: 2, to: &bytes)
        }
    }
}
