import Foundation
import NIOCore

/// Decodes the text output of a value (pgoutput `t`), as PostgreSQL prints it with `DateStyle=ISO`,
/// `IntervalStyle=postgres` (or `iso_8601`), any `TimeZone` and the default `extra_float_digits`.
struct TextValueDecoder {
    let catalog: PostgresTypeCatalog

    func decode(_ bytes: ByteBufferView, typeOID: UInt32) throws(DecodeFailure) -> PostgresValue {
        switch ResolvedType(oid: typeOID, catalog: self.catalog) {
        case .scalar(let scalar):
            return try Self.decodeScalar(scalar, bytes)
        case .enumeration:
            return .string(try Self.utf8(bytes))
        case .array(let elementOID):
            var parser = TextArrayParser(bytes, elementOID: elementOID, decoder: self)
            return .array(try parser.parse())
        case .other:
            return .other(typeOID: typeOID, text: try Self.utf8(bytes))
        }
    }

    static func decodeScalar(_ scalar: BuiltinScalar, _ bytes: ByteBufferView) throws(DecodeFailure) -> PostgresValue {
        switch scalar {
        case .bool:
            if bytes.elementsEqual("t".utf8) { return .bool(true) }
            if bytes.elementsEqual("f".utf8) { return .bool(false) }
            throw DecodeFailure(.malformedText, "bool is neither t nor f")
        case .int2:
            return .int(try self.integer(bytes, in: Int64(Int16.min)...Int64(Int16.max)))
        case .int4:
            return .int(try self.integer(bytes, in: Int64(Int32.min)...Int64(Int32.max)))
        case .int8:
            return .int(try self.integer(bytes, in: Int64.min...Int64.max))
        case .oid:
            return .int(try self.integer(bytes, in: 0...Int64(UInt32.max)))
        case .float4:
            guard let value = Float(try self.ascii(bytes)) else {
                throw DecodeFailure(.malformedText, "not a float4")
            }
            return .double(Double(value))
        case .float8:
            guard let value = Double(try self.ascii(bytes)) else {
                throw DecodeFailure(.malformedText, "not a float8")
            }
            return .double(value)
        case .numeric:
            return try bytes.withBytes { bytes throws(DecodeFailure) in
                guard PostgresNumeric.isValid(bytes) else { throw DecodeFailure(.malformedText, "not a numeric") }
                return .numeric(PostgresNumeric(validated: String(decoding: bytes, as: UTF8.self)))
            }
        case .text, .varchar, .bpchar, .name, .xml, .char:
            return .string(try self.utf8(bytes))
        case .json, .jsonb:
            return .json(try self.utf8(bytes))
        case .bytea:
            return .bytes(try self.bytea(bytes))
        case .uuid:
            guard let uuid = UUID(uuidString: try self.ascii(bytes)) else {
                throw DecodeFailure(.malformedText, "not a uuid")
            }
            return .uuid(uuid)
        case .date:
            return .date(try DateTimeTextParser.date(bytes))
        case .time:
            return try bytes.withBytes { bytes throws(DecodeFailure) in
                var scanner = TextScanner(bytes)
                let time = try DateTimeTextParser.time(&scanner)
                try scanner.requireEnd()
                return .time(PostgresTime(microsecondsSinceMidnight: time))
            }
        case .timetz:
            return try bytes.withBytes { bytes throws(DecodeFailure) in
                var scanner = TextScanner(bytes)
                let time = try DateTimeTextParser.time(&scanner)
                let offset = try DateTimeTextParser.offset(&scanner)
                try scanner.requireEnd()
                return .timeTZ(
                    PostgresTimeTZ(time: PostgresTime(microsecondsSinceMidnight: time), utcOffsetSeconds: offset)
                )
            }
        case .timestamp:
            return .timestamp(try DateTimeTextParser.timestamp(bytes, withZone: false))
        case .timestamptz:
            return .timestampTZ(try DateTimeTextParser.timestamp(bytes, withZone: true))
        case .interval:
            return .interval(try IntervalTextParser.parse(bytes))
        case .inet:
            return .inet(try self.ascii(bytes))
        case .cidr:
            return .cidr(try self.ascii(bytes))
        case .macaddr, .macaddr8:
            return .macaddr(try self.ascii(bytes))
        case .money:
            throw DecodeFailure(.malformedText, "money has no decoder")
        }
    }

    static func utf8(_ bytes: ByteBufferView) throws(DecodeFailure) -> String {
        // Validating a contiguous buffer takes the standard library's fast path; the view itself would go
        // through the generic, byte-at-a-time one.
        try bytes.withBytes { bytes throws(DecodeFailure) in
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw DecodeFailure(.invalidUTF8, "the text is not valid UTF-8")
            }
            return text
        }
    }

    private static func ascii(_ bytes: ByteBufferView) throws(DecodeFailure) -> String {
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw DecodeFailure(.malformedText, "unexpected characters")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func integer(_ bytes: ByteBufferView, in range: ClosedRange<Int64>) throws(DecodeFailure) -> Int64 {
        var index = bytes.startIndex
        let negative = index < bytes.endIndex && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.endIndex else { throw DecodeFailure(.malformedText, "not an integer") }
        // Accumulate negatively so that Int64.min fits.
        var value: Int64 = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw DecodeFailure(.malformedText, "not an integer")
            }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw DecodeFailure(.outOfRange, "integer out of range") }
            value = next
            index += 1
        }
        if !negative {
            guard value != .min else { throw DecodeFailure(.outOfRange, "integer out of range") }
            value = -value
        }
        guard range.contains(value) else { throw DecodeFailure(.outOfRange, "integer out of range") }
        return value
    }

    /// `\x` followed by pairs of hex digits (`bytea_output = hex`, the default).
    private static func bytea(_ bytes: ByteBufferView) throws(DecodeFailure) -> [UInt8] {
        var index = bytes.startIndex
        guard bytes.count >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "x"),
            bytes.count % 2 == 0
        else {
            throw DecodeFailure(.malformedText, "bytea is not in hex format (\\x...)")
        }
        index += 2
        var result: [UInt8] = []
        result.reserveCapacity((bytes.count - 2) / 2)
        while index < bytes.endIndex {
            guard let high = self.hexValue(bytes[index]), let low = self.hexValue(bytes[index + 1]) else {
                throw DecodeFailure(.malformedText, "bytea has a character that is not a hex digit")
            }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
