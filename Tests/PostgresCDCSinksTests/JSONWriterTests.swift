import Foundation
import PostgresCDC
import PostgresCDCSinks
import Testing

private func json(_ value: PostgresValue) -> String {
    var writer = JSONWriter()
    writer.write(value)
    return writer.string
}

private let ts = PostgresTimestamp(year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5, microsecond: 500_000)
private let uuid = UUID(uuidString: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11") ?? UUID()

/// JSON renderings: value and the exact JSON expected.
private let goldens: [(PostgresValue, String)] = [
    (.null, "null"),
    (.bool(true), "true"),
    (.bool(false), "false"),
    (.int(-9_223_372_036_854_775_808), "-9223372036854775808"),
    (.int(42), "42"),
    (.int(0), "0"),
    (.int(-7), "-7"),
    (.int(9_223_372_036_854_775_807), "9223372036854775807"),
    (.double(-0.1), "-0.1"),
    (.double(1e-300), "1e-300"),
    (.double(.nan), #""NaN""#),
    (.double(.infinity), #""Infinity""#),
    (.double(-.infinity), #""-Infinity""#),
    (.numeric("12345678901234567890.000000001"), #""12345678901234567890.000000001""#),
    (.numeric("-12.3400"), #""-12.3400""#),
    (.string("say \"hi\" \\ tab\tnl\n\u{01}\u{2028}é"), #""say \"hi\" \\ tab\tnl\n\u0001\u2028é""#),
    // Runs between escapes, other characters starting with E2 (€, ─) written as is, U+2029, escapes at the ends.
    (.string("\u{2029}€ a─b\u{1F}\""), #""\u2029€ a─b\u001f\"""#),
    (.string(""), #""""#),
    (.string("plain ascii text"), #""plain ascii text""#),
    (.uuid(uuid), #""a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11""#),
    (.json(#"{"a": [1, 2.50]}"#), #"{"a": [1, 2.50]}"#),
    (.bytes([0xDE, 0xAD, 0x00]), #""\\xdead00""#),
    (.bytes([]), #""\\x""#),
    (.date(PostgresDate(year: 2024, month: 2, day: 29) ?? .infinity), #""2024-02-29""#),
    (.date(PostgresDate(year: -43, month: 3, day: 15) ?? .infinity), #""-0043-03-15""#),
    (.date(.negativeInfinity), #""-infinity""#),
    (.time(PostgresTime(hour: 4, minute: 5, second: 6, microsecond: 789_000)), #""04:05:06.789""#),
    (
        .timeTZ(PostgresTimeTZ(time: PostgresTime(hour: 12, minute: 0, second: 0), utcOffsetSeconds: -20730)),
        #""12:00:00-05:45:30""#
    ),
    (.timestamp(ts ?? .infinity), #""2024-01-02T03:04:05.5""#),
    (.timestampTZ(ts ?? .infinity), #""2024-01-02T03:04:05.5Z""#),
    (.timestampTZ(.infinity), #""infinity""#),
    (.interval(PostgresInterval(months: 14, days: 3, microseconds: 14_706_789_000)), #""P1Y2M3DT4H5M6.789S""#),
    (.interval(PostgresInterval(microseconds: -500_000)), #""PT-0.5S""#),
    (.interval(PostgresInterval()), #""PT0S""#),
    (.inet("::ffff:1.2.3.4"), #""::ffff:1.2.3.4""#),
    (.cidr("10.0.0.0/8"), #""10.0.0.0/8""#),
    (.macaddr("08:00:2b:01:02:03"), #""08:00:2b:01:02:03""#),
    (.other(typeOID: 600, text: "(1,2)"), #""(1,2)""#),
    (.array(PostgresArray(elementTypeOID: 23, elements: [])), "[]"),
    (.array(PostgresArray(elementTypeOID: 23, elements: [.int(1), .null])), "[1,null]"),
    (
        .array(PostgresArray(elementTypeOID: 23, dimensions: [2, 2], elements: [.int(1), .int(2), .int(3), .int(4)])),
        "[[1,2],[3,4]]"
    ),
    (
        .array(PostgresArray(elementTypeOID: 25, dimensions: [1, 2, 1], elements: [.string("a"), .string("b")])),
        #"[[["a"],["b"]]]"#
    ),
]

@Suite("JSON rendering")
struct JSONWriterTests {
    @Test("values render as the expected JSON", arguments: goldens)
    func golden(value: PostgresValue, expected: String) {
        #expect(json(value) == expected)
    }

    @Test("rendered values are valid JSON", arguments: goldens)
    func valid(value: PostgresValue, expected: String) throws {
        let data = Data(json(value).utf8)
        _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    @Test("objects are written with keys and separators")
    func object() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.writeKey("id")
        writer.write(.int(1))
        writer.comma()
        writer.writeKey("na\"me")
        writer.write(.string("x"))
        writer.endObject()
        #expect(writer.string == #"{"id":1,"na\"me":"x"}"#)
    }

    @Test("every control character is escaped")
    func controlCharacters() throws {
        let text = String(decoding: (0..<32).map { UInt8($0) }, as: UTF8.self)
        var writer = JSONWriter()
        writer.writeString(text)
        let decoded = try JSONSerialization.jsonObject(with: Data(writer.bytes), options: [.fragmentsAllowed])
        #expect(decoded as? String == text)
        #expect(!writer.bytes.contains { $0 < 0x20 })
    }
}
