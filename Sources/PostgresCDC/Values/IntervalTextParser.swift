import NIOCore

/// Parses `interval` as PostgreSQL prints it with `IntervalStyle=postgres`
/// (`1 year 2 mons -3 days -04:05:06.789`) or `iso_8601` (`P1Y2M-3DT-4H-5M-6.789S`).
enum IntervalTextParser {
    static func parse(_ bytes: ByteBufferView) throws(DecodeFailure) -> PostgresInterval {
        try bytes.withBytes { bytes throws(DecodeFailure) in try self.parse(bytes) }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(DecodeFailure) -> PostgresInterval {
        var scanner = TextScanner(bytes)
        if scanner.consume(UInt8(ascii: "P")) {
            return try self.iso8601(&scanner)
        }
        var months: Int64 = 0
        var days: Int64 = 0
        var microseconds: Int64 = 0
        while !scanner.isAtEnd {
            let sign = scanner.readSign()
            let number = try scanner.readDigits(minimum: 1, maximum: 18)
            if scanner.consume(UInt8(ascii: ":")) {
                let minutes = try scanner.readDigits(minimum: 2, maximum: 2)
                try scanner.expect(UInt8(ascii: ":"))
                let seconds = try scanner.readDigits(minimum: 2, maximum: 2)
                let fraction = try scanner.readFraction()
                guard minutes < 60, seconds < 60, number < 2_562_047_789 else {
                    throw DecodeFailure(.outOfRange, "interval time out of range")
                }
                microseconds += sign * (((number * 60 + minutes) * 60 + seconds) * 1_000_000 + fraction)
            } else {
                try scanner.expect(UInt8(ascii: " "))
                if scanner.consume("years") || scanner.consume("year") {
                    months += sign * number * 12
                } else if scanner.consume("mons") || scanner.consume("mon") {
                    months += sign * number
                } else if scanner.consume("days") || scanner.consume("day") {
                    days += sign * number
                } else {
                    throw DecodeFailure(.malformedText, "unknown interval unit at offset \(scanner.offset)")
                }
            }
            if !scanner.isAtEnd {
                try scanner.expect(UInt8(ascii: " "))
            }
        }
        return try self.make(months: months, days: days, microseconds: microseconds)
    }

    private static func iso8601<Bytes>(_ scanner: inout TextScanner<Bytes>) throws(DecodeFailure) -> PostgresInterval {
        var months: Int64 = 0
        var days: Int64 = 0
        var microseconds: Int64 = 0
        var inTime = false
        while !scanner.isAtEnd {
            if !inTime && scanner.consume(UInt8(ascii: "T")) {
                inTime = true
                continue
            }
            let sign = scanner.readSign()
            let number = try scanner.readDigits(minimum: 1, maximum: 15)
            let fraction = try scanner.readFraction()
            guard let designator = scanner.peek else {
                throw DecodeFailure(.malformedText, "interval number without a designator")
            }
            scanner.index += 1
            guard fraction == 0 || (inTime && designator == UInt8(ascii: "S")) else {
                throw DecodeFailure(.malformedText, "fractional interval field other than seconds")
            }
            switch (inTime, designator) {
            case (false, UInt8(ascii: "Y")): months += sign * number * 12
            case (false, UInt8(ascii: "M")): months += sign * number
            case (false, UInt8(ascii: "W")): days += sign * number * 7
            case (false, UInt8(ascii: "D")): days += sign * number
            case (true, UInt8(ascii: "H")): microseconds += sign * number * 3_600_000_000
            case (true, UInt8(ascii: "M")): microseconds += sign * number * 60_000_000
            case (true, UInt8(ascii: "S")): microseconds += sign * (number * 1_000_000 + fraction)
            default: throw DecodeFailure(.malformedText, "unknown interval designator at offset \(scanner.offset)")
            }
        }
        return try self.make(months: months, days: days, microseconds: microseconds)
    }

    private static func make(months: Int64, days: Int64, microseconds: Int64) throws(DecodeFailure) -> PostgresInterval
    {
        guard let months = Int32(exactly: months), let days = Int32(exactly: days) else {
            throw DecodeFailure(.outOfRange, "interval out of range")
        }
        return PostgresInterval(months: months, days: days, microseconds: microseconds)
    }
}
