import Foundation
import NIOCore
import PostgresCDC
import Testing

private func timestamp(
    _ year: Int,
    _ month: Int,
    _ day: Int,
    _ hour: Int = 0,
    _ minute: Int = 0,
    _ second: Int = 0,
    _ micro: Int = 0
) -> PostgresTimestamp {
    PostgresTimestamp(
        year: year,
        month: month,
        day: day,
        hour: hour,
        minute: minute,
        second: second,
        microsecond: micro
    ) ?? .negativeInfinity
}

private func date(_ year: Int, _ month: Int, _ day: Int) -> PostgresDate {
    PostgresDate(year: year, month: month, day: day) ?? .negativeInfinity
}

private func time(_ hour: Int, _ minute: Int, _ second: Int, _ micro: Int = 0) -> PostgresTime {
    PostgresTime(hour: hour, minute: minute, second: second, microsecond: micro)
}

private let uuid = UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11") ?? UUID()

/// What each recorded value must decode to, from both its text and its binary form.
private let expectations: [(String, PostgresValue)] = [
    ("bool_true", .bool(true)),
    ("bool_false", .bool(false)),
    ("int2_min", .int(-32768)),
    ("int2_max", .int(32767)),
    ("int4_min", .int(-2_147_483_648)),
    ("int4_max", .int(2_147_483_647)),
    ("int8_min", .int(-9_223_372_036_854_775_808)),
    ("int8_max", .int(9_223_372_036_854_775_807)),
    ("oid_max", .int(4_294_967_295)),
    ("float4_pi", .double(Double(Float(3.14159)))),
    ("float4_inf", .double(.infinity)),
    ("float8_tiny", .double(1e-300)),
    ("float8_max", .double(.greatestFiniteMagnitude)),
    ("float8_tenth", .double(-0.1)),
    ("float8_third", .double(1.0 / 3)),
    ("float8_inf", .double(.infinity)),
    ("float8_neginf", .double(-.infinity)),
    ("numeric_big", .numeric("12345678901234567890.000000001")),
    ("numeric_trailing_zeros", .numeric("-12.3400")),
    ("numeric_zero", .numeric("0")),
    ("numeric_zero_scale", .numeric("0.000")),
    ("numeric_small", .numeric("0.00000000000000000001")),
    ("numeric_hundred_million", .numeric("100000000")),
    ("numeric_typmod", .numeric("5.00")),
    ("numeric_nan", .numeric("NaN")),
    ("numeric_inf", .numeric("Infinity")),
    ("numeric_neginf", .numeric("-Infinity")),
    ("text_empty", .string("")),
    ("text_plain", .string("hello")),
    ("text_escapes", .string("say \"hi\" \\ back\tslash\nnew line")),
    ("text_unicode", .string("héllo ✓ 🎉 \u{2028}")),
    ("text_null_word", .string("NULL")),
    ("varchar", .string("abc")),
    ("bpchar_padded", .string("ab   ")),
    ("char", .string("x")),
    ("name", .string("pg_class")),
    ("xml", .string("<a>x &amp; y</a>")),
    ("uuid", .uuid(uuid)),
    ("json", .json(#"{"a": [1, 2.50, null], "s": "x\"y"}"#)),
    ("jsonb", .json(#"{"a": "xé", "b": 1, "n": 1.50}"#)),
    ("bytea", .bytes([0xDE, 0xAD, 0xBE, 0xEF, 0x00])),
    ("bytea_empty", .bytes([])),
    ("date", .date(date(2024, 2, 29))),
    ("date_epoch", .date(PostgresDate(daysSince2000: 0))),
    ("date_before_epoch", .date(PostgresDate(daysSince2000: -1))),
    ("date_bc", .date(date(-43, 3, 15))),
    ("date_min", .date(date(-4712, 1, 1))),
    ("date_max", .date(date(5_874_897, 12, 31))),
    ("date_inf", .date(.infinity)),
    ("date_neginf", .date(.negativeInfinity)),
    ("time_midnight", .time(time(0, 0, 0))),
    ("time_max", .time(time(23, 59, 59, 999_999))),
    ("time_24", .time(time(24, 0, 0))),
    ("time_half", .time(time(12, 34, 56, 500_000))),
    ("timetz_india", .timeTZ(PostgresTimeTZ(time: time(4, 5, 6, 789_000), utcOffsetSeconds: 19800))),
    ("timetz_negative", .timeTZ(PostgresTimeTZ(time: time(23, 59, 59), utcOffsetSeconds: -10800))),
    ("timetz_seconds_offset", .timeTZ(PostgresTimeTZ(time: time(12, 0, 0), utcOffsetSeconds: 20730))),
    ("timetz_utc", .timeTZ(PostgresTimeTZ(time: time(0, 0, 0), utcOffsetSeconds: 0))),
    ("timestamp", .timestamp(timestamp(2024, 1, 2, 3, 4, 5, 123_456))),
    ("timestamp_epoch", .timestamp(PostgresTimestamp(microsecondsSince2000: 0))),
    ("timestamp_unix_epoch", .timestamp(timestamp(1970, 1, 1))),
    ("timestamp_bc", .timestamp(timestamp(-43, 3, 15, 12, 0, 0, 500_000))),
    ("timestamp_max", .timestamp(timestamp(294_276, 12, 31, 23, 59, 59, 999_999))),
    ("timestamp_inf", .timestamp(.infinity)),
    ("timestamp_neginf", .timestamp(.negativeInfinity)),
    ("timestamptz_utc", .timestampTZ(timestamp(2024, 1, 2, 3, 4, 5, 500_000))),
    ("timestamptz_kolkata", .timestampTZ(timestamp(2024, 1, 2, 3, 4, 5, 500_000))),
    ("timestamptz_sao_paulo", .timestampTZ(timestamp(2024, 1, 2, 3, 4, 5, 500_000))),
    ("timestamptz_kathmandu", .timestampTZ(timestamp(2024, 1, 2, 3, 4, 5, 500_000))),
    ("timestamptz_amsterdam_lmt", .timestampTZ(timestamp(1900, 1, 1))),
    ("timestamptz_bc", .timestampTZ(timestamp(-99, 1, 1))),
    ("timestamptz_inf", .timestampTZ(.infinity)),
    ("interval_full", .interval(PostgresInterval(months: 14, days: 3, microseconds: 14_706_789_000))),
    ("interval_negative", .interval(PostgresInterval(months: -14, days: 3, microseconds: -14_706_789_000))),
    ("interval_zero", .interval(PostgresInterval())),
    ("interval_day", .interval(PostgresInterval(days: 1))),
    ("interval_neg_fraction", .interval(PostgresInterval(microseconds: -500_000))),
    ("interval_hours", .interval(PostgresInterval(microseconds: 360_000_000_000))),
    ("interval_neg_month", .interval(PostgresInterval(months: -1))),
    ("interval_years", .interval(PostgresInterval(months: 2_136_000_000))),
    ("inet_host", .inet("192.168.0.1")),
    ("inet_prefix", .inet("192.168.0.1/24")),
    ("inet_v6_loopback", .inet("::1")),
    ("inet_v6_prefix", .inet("2001:db8::1/64")),
    ("inet_v6_mapped", .inet("::ffff:1.2.3.4")),
    ("inet_v6_two_runs", .inet("1:0:0:2::3")),
    ("inet_v6_any", .inet("::")),
    ("cidr_v4", .cidr("192.168.0.0/24")),
    ("cidr_v4_host", .cidr("10.1.2.3/32")),
    ("cidr_v6", .cidr("2001:db8::/32")),
    ("macaddr", .macaddr("08:00:2b:01:02:03")),
    ("macaddr8", .macaddr("08:00:2b:01:02:03:04:05")),
    ("enum", .string("happy")),
    ("enum_quoted", .string("très \"content\"")),
    ("domain", .int(42)),
    ("array_int4_null", .array(PostgresArray(elementTypeOID: 23, elements: [.int(1), .int(2), .null]))),
    (
        "array_int4_2d",
        .array(PostgresArray(elementTypeOID: 23, dimensions: [2, 2], elements: [.int(1), .int(2), .int(3), .int(4)]))
    ),
    (
        "array_int8_3d",
        .array(PostgresArray(elementTypeOID: 20, dimensions: [2, 1, 1], elements: [.int(1), .int(-2)]))
    ),
    (
        "array_text_bounds",
        .array(
            PostgresArray(
                elementTypeOID: 25,
                dimensions: [2],
                lowerBounds: [0],
                elements: [.string("a"), .string("b")]
            )
        )
    ),
    (
        "array_text_quoting",
        .array(
            PostgresArray(
                elementTypeOID: 25,
                elements: [
                    .string("a\"b"), .string("c\\d"), .string("NULL"), .null, .string(""), .string(" x "),
                    .string("a,b"), .string("{}"), .string("ü"),
                ]
            )
        )
    ),
    ("array_empty", .array(PostgresArray(elementTypeOID: 23, elements: []))),
    (
        "array_numeric",
        .array(
            PostgresArray(elementTypeOID: 1700, elements: [.numeric("1.50"), .numeric("NaN"), .numeric("-Infinity")])
        )
    ),
    ("array_bool", .array(PostgresArray(elementTypeOID: 16, elements: [.bool(true), .bool(false), .null]))),
    (
        "array_date",
        .array(
            PostgresArray(
                elementTypeOID: 1082,
                elements: [.date(date(2024, 2, 29)), .date(.infinity), .date(date(-43, 3, 15))]
            )
        )
    ),
    (
        "array_timestamptz",
        .array(
            PostgresArray(
                elementTypeOID: 1184,
                elements: [.timestampTZ(timestamp(2024, 1, 2, 3, 4, 5, 500_000)), .timestampTZ(.infinity)]
            )
        )
    ),
    ("array_uuid", .array(PostgresArray(elementTypeOID: 2950, elements: [.uuid(uuid)]))),
    ("array_bytea", .array(PostgresArray(elementTypeOID: 17, elements: [.bytes([1, 2]), .bytes([])]))),
    ("array_jsonb", .array(PostgresArray(elementTypeOID: 3802, elements: [.json(#"{"a": 1}"#), .json(#"[1, "x"]"#)]))),
    (
        "array_interval",
        .array(
            PostgresArray(
                elementTypeOID: 1186,
                elements: [.interval(PostgresInterval(days: 1, microseconds: 7_200_000_000))]
            )
        )
    ),
    ("array_inet", .array(PostgresArray(elementTypeOID: 869, elements: [.inet("192.168.0.1"), .inet("::1/64")]))),
]

/// NaN is not equal to itself, so these are checked with `isNaN`.
private let nanCases = ["float4_nan", "float8_nan"]

@Suite("Column values recorded from PostgreSQL")
struct ColumnValueDecodingTests {
    private func decode(_ name: String, _ format: ColumnValue.Format) throws -> PostgresValue {
        let recorded = try #require(ValueFixtures.values[name], "fixture \(name) missing; re-record")
        let storage: ColumnValue.Storage =
            switch format {
            case .text: .text(ByteBuffer(bytes: recorded.text))
            case .binary: .binary(ByteBuffer(bytes: recorded.binary))
            }
        return try ColumnValue(storage: storage, typeOID: recorded.typeOID).decode(catalog: ValueFixtures.catalog)
    }

    @Test("text and binary decode to the expected value", arguments: expectations)
    func textAndBinaryAgree(name: String, expected: PostgresValue) throws {
        #expect(try self.decode(name, .text) == expected, "text of \(name)")
        #expect(try self.decode(name, .binary) == expected, "binary of \(name)")
    }

    @Test("NaN decodes as NaN", arguments: nanCases)
    func nan(name: String) throws {
        for format in [ColumnValue.Format.text, .binary] {
            guard case .double(let value) = try self.decode(name, format) else {
                Issue.record("\(name) is not a double")
                continue
            }
            #expect(value.isNaN)
        }
    }

    @Test("a float8 array with NaN and Infinity decodes alike from text and binary")
    func floatArray() throws {
        for format in [ColumnValue.Format.text, .binary] {
            guard case .array(let array) = try self.decode("array_float8", format), array.elements.count == 3,
                case .double(let first) = array.elements[0], case .double(let nan) = array.elements[1],
                case .double(let infinity) = array.elements[2]
            else {
                Issue.record("array_float8 (\(format)) is not an array of three doubles")
                continue
            }
            #expect(array.dimensions == [3] && array.elementTypeOID == 701)
            #expect(first == 1.5 && nan.isNaN && infinity == .infinity)
        }
    }

    @Test("an enum array decodes to the labels with the enum's OID")
    func enumArray() throws {
        let expected = PostgresValue.array(
            PostgresArray(
                elementTypeOID: ValueFixtures.moodOID,
                elements: [.string("sad"), .string("très \"content\"")]
            )
        )
        #expect(try self.decode("array_enum", .text) == expected)
        #expect(try self.decode("array_enum", .binary) == expected)
    }

    @Test("every recorded value has an expectation")
    func everyFixtureIsChecked() {
        let checked = Set(expectations.map(\.0) + nanCases + ["array_enum", "array_float8"])
        #expect(!ValueFixtures.values.isEmpty)
        #expect(Set(ValueFixtures.values.keys).subtracting(checked).sorted() == [])
    }

    @Test("BC dates and timestamps print as ISO-8601 astronomical years")
    func bcDescriptions() throws {
        #expect(try self.decode("date_bc", .binary) == .date(date(-43, 3, 15)))
        #expect(date(-43, 3, 15).description == "-0043-03-15")
        #expect(date(0, 1, 1).description == "0000-01-01")
        #expect(timestamp(-99, 1, 1).iso8601String(utc: true) == "-0099-01-01T00:00:00Z")
    }

    @Test("timestamps convert to Foundation.Date where finite")
    func foundationDate() {
        #expect(timestamp(1970, 1, 1, 0, 0, 1, 500_000).date == Date(timeIntervalSince1970: 1.5))
        #expect(date(2000, 1, 2).date == Date(timeIntervalSince1970: 946_771_200))
        #expect(PostgresTimestamp.infinity.date == nil)
    }

    @Test("rawText returns the text as sent and nil for binary")
    func rawText() {
        let text = ColumnValue(storage: .text(ByteBuffer(string: "12.3400")), typeOID: 1700)
        #expect(text.rawText == "12.3400")
        let binary = ColumnValue(storage: .binary(ByteBuffer(bytes: [0, 0, 0, 1])), typeOID: 23)
        #expect(binary.rawText == nil)
        #expect(ColumnValue(storage: .null, typeOID: 23).rawText == nil)
    }

    @Test("NULL decodes to .null and unchanged TOAST throws")
    func nullAndToast() throws {
        #expect(try ColumnValue(storage: .null, typeOID: 25).decode(catalog: .builtin) == .null)
        #expect(throws: ValueDecodingError.self) {
            try ColumnValue(storage: .unchangedToast, typeOID: 25).decode(catalog: .builtin)
        }
    }

    @Test("an unknown type keeps its text, or hex for binary")
    func unknownType() throws {
        let text = ColumnValue(storage: .text(ByteBuffer(string: "(1,2)")), typeOID: 600)
        #expect(try text.decode(catalog: .builtin) == .other(typeOID: 600, text: "(1,2)"))
        let binary = ColumnValue(storage: .binary(ByteBuffer(bytes: [0xAB, 0x01])), typeOID: 600)
        #expect(try binary.decode(catalog: .builtin) == .other(typeOID: 600, text: "\\xab01"))
    }

    @Test("ISO-8601 interval text decodes like the postgres style")
    func isoInterval() throws {
        let value = ColumnValue(storage: .text(ByteBuffer(string: "P-1Y-2M3DT-4H-5M-6.789S")), typeOID: 1186)
        #expect(
            try value.decode(catalog: .builtin)
                == .interval(PostgresInterval(months: -14, days: 3, microseconds: -14_706_789_000))
        )
        #expect(
            PostgresInterval(months: -14, days: 3, microseconds: -14_706_789_000).description
                == "P-1Y-2M3DT-4H-5M-6.789S"
        )
    }
}
