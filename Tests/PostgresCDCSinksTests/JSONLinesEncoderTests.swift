import Foundation
import NIOCore
import PostgresCDC
import PostgresCDCSinks
import PostgresWire
import Testing

private let int8OID: UInt32 = 20
private let textOID: UInt32 = 25
private let numericOID: UInt32 = 1700
private let jsonbOID: UInt32 = 3802
private let boolOID: UInt32 = 16

private let customers = TableSchema(
    relationID: 16_384,
    namespace: "public",
    name: "customers",
    replicaIdentity: .default,
    columns: [
        ColumnSchema(name: "id", typeOID: int8OID, typeName: "bigint", isKey: true, isNullable: false),
        ColumnSchema(name: "name", typeOID: textOID, typeName: "text"),
        ColumnSchema(name: "balance", typeOID: numericOID, typeName: "numeric(12,2)"),
        ColumnSchema(name: "props", typeOID: jsonbOID, typeName: "jsonb"),
        ColumnSchema(name: "vip", typeOID: boolOID, typeName: "boolean"),
    ]
)

private func text(_ string: String, _ oid: UInt32) -> ColumnValue {
    ColumnValue(storage: .text(ByteBuffer(string: string)), typeOID: oid)
}

private func row(_ values: [ColumnValue], columns: [ColumnSchema] = customers.columns) -> Row {
    Row(columns: columns, values: values, catalog: .builtin)
}

private let transaction = TransactionInfo(
    xid: 742,
    commitLSN: LSN(0x1_0000_16B8),
    commitTime: Date(timeIntervalSince1970: 1_700_000_000.123456)
)

/// Encodes one event and parses the line back.
private func encode(_ event: ChangeEvent) throws -> (line: String, object: [String: Any]) {
    var encoder = JSONLinesEncoder()
    try encoder.append(event)
    let line = String(decoding: encoder.bytes, as: UTF8.self)
    let parsed = try JSONSerialization.jsonObject(with: Data(encoder.bytes))
    return (line, try #require(parsed as? [String: Any]))
}

@Suite("JSON lines encoder")
struct JSONLinesEncoderTests {
    @Test("an insert is one line with typed values")
    func insert() throws {
        let after = row([
            text("7", int8OID), text("Ada \"the\" first", textOID), text("120.50", numericOID),
            text(#"{"tags": ["vip"]}"#, jsonbOID), text("t", boolOID),
        ])
        let event = ChangeEvent(
            operation: .insert,
            table: customers,
            after: after,
            key: row([text("7", int8OID)], columns: [customers.columns[0]]),
            lsn: LSN(0x1_0000_1600),
            transaction: transaction,
            index: 3
        )
        let (line, object) = try encode(event)
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().contains("\n") == false)
        #expect(object["op"] as? String == "insert")
        #expect(object["schema"] as? String == "public")
        #expect(object["table"] as? String == "customers")
        #expect(object["lsn"] as? String == "1/1600")
        #expect(object["commit_lsn"] as? String == "1/16B8")
        #expect(object["commit_time"] as? String == "2023-11-14T22:13:20.123456Z")
        #expect(object["xid"] as? Int == 742)
        #expect(object["index"] as? Int == 3)
        #expect(object["before"] is NSNull)
        #expect((object["key"] as? [String: Any])?["id"] as? Int == 7)
        let values = try #require(object["after"] as? [String: Any])
        #expect(values["id"] as? Int == 7)
        #expect(values["name"] as? String == "Ada \"the\" first")
        #expect(values["balance"] as? String == "120.50")
        #expect(((values["props"] as? [String: Any])?["tags"] as? [String]) == ["vip"])
        #expect(values["vip"] as? Bool == true)
        #expect(object["unchanged_toast"] == nil)
    }

    @Test(
        "a json value keeps its text but not its line breaks: one event stays one line (ASCII and non-ASCII)",
        arguments: ["{\n  \"a\": 1,\r\n  \"b\": [2]\n}", "{\n  \"a\": \"é\",\r\n  \"b\": [2]\n}"]
    )
    func jsonWithLineBreaks(document: String) throws {
        let json = ColumnSchema(name: "doc", typeOID: 114, typeName: "json")
        let event = ChangeEvent(
            operation: .insert,
            table: TableSchema(
                relationID: 1,
                namespace: "public",
                name: "docs",
                replicaIdentity: .default,
                columns: [json]
            ),
            after: row([text(document, 114)], columns: [json]),
            lsn: LSN(0x1600),
            transaction: transaction,
            index: 0
        )
        let (line, object) = try encode(event)
        #expect(line.filter { $0 == "\n" || $0 == "\r" }.count == 1, "\(line)")
        let doc = try #require((object["after"] as? [String: Any])?["doc"] as? [String: Any])
        #expect(doc["a"] != nil && doc["b"] as? [Int] == [2])
    }

    @Test("text is escaped and json written as sent, from ASCII bytes directly or decoded when not ASCII")
    func textAndJSONBytes() throws {
        let columns = [customers.columns[1], customers.columns[3]]
        let samples = [
            ("tab\there \"q\" \\ \u{01}\n", #"{"a": [1, "x"]}"#),
            ("Zoë ‘x’\u{2028}", #"{"ü": "é"}"#),
        ]
        for (name, props) in samples {
            let event = ChangeEvent(
                operation: .insert,
                table: customers,
                after: row([text(name, textOID), text(props, jsonbOID)], columns: columns),
                lsn: LSN(0x1700),
                transaction: transaction,
                index: 0
            )
            let (line, object) = try encode(event)
            let values = try #require(object["after"] as? [String: Any])
            #expect(values["name"] as? String == name)
            var expected = JSONWriter()
            expected.writeString(name)
            #expect(line.contains(#""after":{"name":"# + expected.string + #","props":"# + props + "}"))
        }
    }

    @Test("an update names its unchanged TOAST columns and leaves them out of the row")
    func updateWithToast() throws {
        let after = row([
            text("7", int8OID), ColumnValue(storage: .unchangedToast, typeOID: textOID), text("1.00", numericOID),
            ColumnValue(storage: .null, typeOID: jsonbOID), text("f", boolOID),
        ])
        let event = ChangeEvent(
            operation: .update,
            table: customers,
            after: after,
            key: row([text("7", int8OID)], columns: [customers.columns[0]]),
            unchangedToastColumns: ["name"],
            lsn: LSN(0x1700),
            transaction: transaction,
            index: 0
        )
        let (_, object) = try encode(event)
        #expect(object["op"] as? String == "update")
        #expect(object["unchanged_toast"] as? [String] == ["name"])
        let values = try #require(object["after"] as? [String: Any])
        #expect(values["name"] == nil)
        #expect(values["props"] is NSNull)
        #expect(values["vip"] as? Bool == false)
    }

    @Test("a truncate carries its options")
    func truncate() throws {
        let event = ChangeEvent(
            operation: .truncate,
            table: customers,
            truncateOptions: [.cascade],
            lsn: LSN(0x1800),
            transaction: transaction,
            index: 0
        )
        let (_, object) = try encode(event)
        #expect(object["op"] as? String == "truncate")
        #expect(object["cascade"] as? Bool == true)
        #expect(object["restart_identity"] as? Bool == false)
        #expect(object["key"] == nil)
    }

    @Test("a non-transactional message has null transaction fields; binary content is hex")
    func messages() throws {
        let text = ChangeEvent(
            operation: .message,
            table: nil,
            message: .init(prefix: "shop", content: ByteBuffer(string: "héllo"), isTransactional: false),
            lsn: LSN(0x1900),
            transaction: nil,
            index: 0
        )
        let (_, object) = try encode(text)
        #expect(object["op"] as? String == "message")
        #expect(object["prefix"] as? String == "shop")
        #expect(object["content"] as? String == "héllo")
        #expect(object["transactional"] as? Bool == false)
        #expect(object["xid"] is NSNull)
        #expect(object["commit_lsn"] is NSNull)

        let binary = ChangeEvent(
            operation: .message,
            table: nil,
            message: .init(prefix: "bin", content: ByteBuffer(bytes: [0xFF, 0x00]), isTransactional: true),
            lsn: LSN(0x1900),
            transaction: transaction,
            index: 1
        )
        let (_, binaryObject) = try encode(binary)
        #expect(binaryObject["content"] as? String == #"\xff00"#)
        #expect(binaryObject["content_encoding"] as? String == "hex")
    }

    @Test("begin, commit and relation lines; lines accumulate until removeAll")
    func verboseEvents() throws {
        var encoder = JSONLinesEncoder()
        encoder.appendBegin(transaction)
        encoder.appendRelation(customers)
        encoder.appendCommit(
            CommittedTransaction(
                transaction: transaction,
                commitLSN: LSN(0x1_0000_16B8),
                endLSN: LSN(0x1_0000_16E8),
                commitTime: Date(timeIntervalSince1970: 1_700_000_000.123456),
                eventCount: 2
            )
        )
        let lines = String(decoding: encoder.bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
        let objects = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["op"] as? String } == ["begin", "relation", "commit"])
        #expect(objects[0]["xid"] as? Int == 742)
        let columns = try #require(objects[1]["columns"] as? [[String: Any]])
        #expect(columns.map { $0["name"] as? String } == ["id", "name", "balance", "props", "vip"])
        #expect(columns[0]["key"] as? Bool == true)
        #expect(columns[2]["type"] as? String == "numeric(12,2)")
        #expect(objects[1]["replica_identity"] as? String == "default")
        #expect(objects[2]["end_lsn"] as? String == "1/16E8")
        #expect(objects[2]["events"] as? Int == 2)
        encoder.removeAll()
        #expect(encoder.count == 0)
    }

    @Test("a lost line names the fork and every lost transaction, as docs/events.md shows")
    func lostInFailover() throws {
        var encoder = JSONLinesEncoder()
        let lost = [
            DeliveredTransaction(
                xid: 812,
                commitLSN: LSN(0x30A_8C10),
                endLSN: LSN(0x30A_8C40),
                commitTime: Date(timeIntervalSince1970: 1_714_564_800.123456),
                timeline: 1
            ),
            DeliveredTransaction(
                xid: 814,
                commitLSN: LSN(0x30A_8D00),
                endLSN: LSN(0x30A_8D30),
                commitTime: Date(timeIntervalSince1970: 1_714_564_801),
                timeline: 1
            ),
        ]
        encoder.appendLost(previousTimeline: 1, forkLSN: LSN(0x30A_8B80), transactions: lost)
        let line = String(decoding: encoder.bytes, as: UTF8.self)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        #expect(
            line.hasPrefix(
                #"{"op":"lost","previous_timeline":1,"fork_lsn":"0/30A8B80","transactions":[{"xid":812,"#
                    + #""commit_lsn":"0/30A8C10","end_lsn":"0/30A8C40","commit_time":"2024-05-01T12:00:00.123456Z"},"#
            ),
            "\(line)"
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let transactions = try #require(object["transactions"] as? [[String: Any]])
        #expect(transactions.map { $0["xid"] as? Int } == [812, 814])
        #expect(transactions[1]["end_lsn"] as? String == "0/30A8D30")
    }

    @Test("a text value that does not decode is written as sent; a binary one throws")
    func undecodable() throws {
        let bad = row(
            [text("not-a-number", int8OID)],
            columns: [customers.columns[0]]
        )
        let event = ChangeEvent(
            operation: .insert,
            table: customers,
            after: bad,
            lsn: LSN(0x10),
            transaction: transaction,
            index: 0
        )
        let (_, object) = try encode(event)
        #expect((object["after"] as? [String: Any])?["id"] as? String == "not-a-number")

        let binary = row(
            [ColumnValue(storage: .binary(ByteBuffer(bytes: [1, 2, 3])), typeOID: int8OID)],
            columns: [customers.columns[0]]
        )
        var encoder = JSONLinesEncoder()
        #expect(throws: ValueDecodingError.self) {
            try encoder.append(
                ChangeEvent(
                    operation: .insert,
                    table: customers,
                    after: binary,
                    lsn: LSN(0x10),
                    transaction: transaction,
                    index: 0
                )
            )
        }
    }
}
