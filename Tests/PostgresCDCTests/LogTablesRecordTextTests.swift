import Testing

@testable import PostgresCDC

@Suite struct LogTablesRecordTextTests {
    func fields(_ text: String, count: Int) throws -> [String?] {
        try RecordTextParser.fields(of: text.utf8, expectedCount: count).map {
            $0.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Record texts as PostgreSQL 15 printed them (`NEW::text` in the log trigger).
    @Test func splitsWhatTheServerPrints() throws {
        #expect(
            try fields(#"(1,"",t,"ab ",1.2.3.4,"2026-11-24 23:17:49.263418+00","\\xde00",2)"#, count: 8) == [
                "1", "", "t", "ab ", "1.2.3.4", "2026-11-24 23:17:49.263418+00", #"\xde00"#, "2",
            ]
        )
        #expect(try fields("(2,,,,,,,4)", count: 8) == ["2", nil, nil, nil, nil, nil, nil, "4"])
        #expect(
            try fields(#"(3,"a ""b"" \\ (,)",f,"x  ",::1,infinity,"\\x",6)"#, count: 8) == [
                "3", #"a "b" \ (,)"#, "f", "x  ", "::1", "infinity", #"\x"#, "6",
            ]
        )
        #expect(
            try fields(#"("{1,NULL,3}","{""a b"",""NULL"",NULL}")"#, count: 2) == [
                "{1,NULL,3}", #"{"a b","NULL",NULL}"#,
            ]
        )
    }

    @Test func zeroAndOneColumnRows() throws {
        #expect(try fields("()", count: 0) == [])
        #expect(try fields("()", count: 1) == [nil])
        #expect(try fields(#"("")"#, count: 1) == [""])
    }

    @Test(arguments: ["", "1,2)", "(1,2", #"("unterminated)"#, "(1)x", #"(1\"#])
    func rejectsWhatIsNotARecord(_ text: String) {
        #expect(throws: RecordTextParser.Failure.self) { try RecordTextParser.fields(of: text.utf8, expectedCount: 1) }
    }

    @Test func widensXidsWithTheCurrentEpoch() {
        // Epoch 0: an xid below next is itself.
        #expect(LogTables.fullTransactionID(xid: 740, next: 742) == 740)
        // Epoch 3: an xid below next's low half is in epoch 3, one above it in epoch 2.
        let next: UInt64 = 3 << 32 | 1_000
        #expect(LogTables.fullTransactionID(xid: 999, next: next) == 3 << 32 | 999)
        #expect(LogTables.fullTransactionID(xid: 4_000_000_000, next: next) == 2 << 32 | 4_000_000_000)
        // An xid that cannot have started yet in epoch 0 has no full id.
        #expect(LogTables.fullTransactionID(xid: 5_000, next: 742) == nil)
    }

    @Test func logTablesAreRecognisedByTheirSchema() {
        #expect(LogTables.isLogTable(namespace: "pgcdc", name: "change_log"))
        #expect(LogTables.isLogTable(namespace: "pgcdc", name: "checkpoint"))
        #expect(!LogTables.isLogTable(namespace: "public", name: "change_log"))
        #expect(LogTables(schema: "My Log").isLogTable(namespace: "My Log", name: "change_log"))
        #expect(!LogTables(schema: "My Log").isLogTable(namespace: "pgcdc", name: "change_log"))
    }
}
