import NIOCore
import PostgresCDC
import Testing

/// Malformed inputs: hand-made bytes that no server sends. Each must throw with the given code, never crash.
private let malformedBinary: [(String, UInt32, [UInt8], ValueDecodingError.Code)] = [
    ("int4 short", 23, [0, 0, 1], .unexpectedEnd),
    ("int4 long", 23, [0, 0, 0, 1, 0], .trailingBytes),
    ("bool 2", 16, [2], .malformedBinary),
    ("uuid short", 2950, [1, 2, 3], .unexpectedEnd),
    ("jsonb version 2", 3802, [2, 0x7B, 0x7D], .malformedBinary),
    ("text invalid UTF-8", 25, [0xC3, 0x28], .invalidUTF8),
    ("numeric bad sign", 1700, [0, 0, 0, 0, 0x12, 0x34, 0, 0], .malformedBinary),
    ("numeric digit 10000", 1700, [0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10], .malformedBinary),
    ("numeric missing digits", 1700, [0, 2, 0, 0, 0, 0, 0, 0, 0, 1], .unexpectedEnd),
    ("inet bad family", 869, [9, 32, 0, 4, 1, 2, 3, 4], .malformedBinary),
    ("inet too many bits", 869, [2, 33, 0, 4, 1, 2, 3, 4], .malformedBinary),
    ("array 7 dims", 1007, [0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 23], .invalidArray),
    ("array huge dim", 1007, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1], .invalidArray),
    (
        "array element past end", 1007,
        [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0],
        .unexpectedEnd
    ),
    (
        "array negative length", 1007, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 1],
        .invalidArray
    ),
]

private let malformedText: [(String, UInt32, String, ValueDecodingError.Code)] = [
    ("int2 overflow", 21, "32768", .outOfRange),
    ("int8 overflow", 20, "9223372036854775808", .outOfRange),
    ("int4 letters", 23, "12a", .malformedText),
    ("int4 empty", 23, "", .malformedText),
    ("bool yes", 16, "yes", .malformedText),
    ("numeric two points", 1700, "1.2.3", .malformedText),
    ("numeric exponent", 1700, "1e5", .malformedText),
    ("float8 garbage", 701, "1.5x", .malformedText),
    ("uuid short", 2950, "a0eebc99", .malformedText),
    ("bytea escape format", 17, "abc", .malformedText),
    ("bytea odd hex", 17, "\\xabc", .malformedText),
    ("bytea bad digit", 17, "\\xzz", .malformedText),
    ("date february 30", 1082, "2023-02-30", .outOfRange),
    ("date garbage", 1082, "2023-02", .malformedText),
    ("time 25h", 1083, "25:00:00", .outOfRange),
    ("timetz no offset", 1266, "12:00:00", .malformedText),
    ("timestamp trailing", 1114, "2024-01-02 03:04:05 XX", .malformedText),
    ("interval unit", 1186, "3 weeks", .malformedText),
    ("interval overflow", 1186, "3000000000 days", .outOfRange),
    ("array unterminated", 1007, "{1,2", .invalidArray),
    ("array unterminated quote", 1009, "{\"abc}", .invalidArray),
    ("array ragged", 1007, "{{1,2},{3}}", .invalidArray),
    ("array mixed nesting", 1007, "{1,{2}}", .invalidArray),
    ("array bad element", 1007, "{1,x}", .malformedText),
    ("array bounds mismatch", 1007, "[1:3]={1,2}", .invalidArray),
    ("array too deep", 1007, "{{{{{{{1}}}}}}}", .invalidArray),
]

@Suite("Malformed column values")
struct ColumnValueMalformedTests {
    @Test("malformed binary throws", arguments: malformedBinary)
    func binary(name: String, typeOID: UInt32, bytes: [UInt8], code: ValueDecodingError.Code) {
        let value = ColumnValue(storage: .binary(ByteBuffer(bytes: bytes)), typeOID: typeOID)
        do {
            let decoded = try value.decode(catalog: .builtin)
            Issue.record("\(name) decoded to \(decoded)")
        } catch {
            #expect(error.code == code, "\(name): \(error)")
            #expect(error.typeOID == typeOID)
            #expect(error.format == .binary)
            #expect(error.rawBytes == Array(bytes.prefix(ValueDecodingError.maxRawBytes)))
        }
    }

    @Test("malformed text throws", arguments: malformedText)
    func text(name: String, typeOID: UInt32, text: String, code: ValueDecodingError.Code) {
        let value = ColumnValue(storage: .text(ByteBuffer(string: text)), typeOID: typeOID)
        do {
            let decoded = try value.decode(catalog: .builtin)
            Issue.record("\(name) decoded to \(decoded)")
        } catch {
            #expect(error.code == code, "\(name): \(error)")
            #expect(error.format == .text)
        }
    }

    @Test("raw bytes in the error are capped")
    func capped() {
        let bytes = [UInt8](repeating: 0xC3, count: 1000)
        let value = ColumnValue(storage: .binary(ByteBuffer(bytes: bytes)), typeOID: 25)
        #expect {
            try value.decode(catalog: .builtin)
        } throws: { error in
            guard let error = error as? ValueDecodingError else { return false }
            return error.rawBytes.count == ValueDecodingError.maxRawBytes && error.rawLength == 1000
        }
    }
}
