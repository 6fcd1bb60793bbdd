import Foundation
import NIOCore
import PGOutput
import PostgresCDC
import PostgresCDCSinks
import PostgresWire

/// What a replay does with each message.
enum Stage: String, CaseIterable {
    /// pgoutput decoding and the change event built over the message (rows are views, no value decoded).
    case decode
    /// Decoding, rows built as the pipeline builds them, every column typed (`Row.typedValues()`).
    case typed
    /// Decoding, rows, and a JSON line per event (`JSONLinesEncoder`, which types the values itself).
    case json
}

/// Replays recorded sessions through one stage of the hot path and times it.
struct Replay {
    /// The figures of one stage.
    struct Result {
        var stage: Stage
        var bytes: Int
        var events: Int
        var seconds: Double
        var line: String {
            String(
                format:
                    "stage=%@ bytes=%d events=%d seconds=%.3f mb_per_second=%.1f events_per_second=%.0f ns_per_event=%.0f",
                self.stage.rawValue,
                self.bytes,
                self.events,
                self.seconds,
                Double(self.bytes) / 1e6 / max(self.seconds, 1e-9),
                Double(self.events) / max(self.seconds, 1e-9),
                self.seconds * 1e9 / Double(max(self.events, 1))
            )
        }
    }

    let sessions: [RecordedSession]
    let stage: Stage

    func run(iterations: Int) throws -> Result {
        var bytes = 0
        var events = 0
        var encoder = JSONLinesEncoder()
        var checksum = 0
        let start = ContinuousClock.now
        for _ in 0..<iterations {
            for session in self.sessions {
                var decoder = PGOutputDecoder(protocolVersion: session.protocolVersion)
                var tables: [UInt32: TableSchema] = [:]
                var transaction: TransactionInfo?
                for (walStart, payload) in session.messages {
                    bytes += payload.readableBytes
                    let message = try decoder.decode(payload, walStart: walStart)
                    guard
                        let event = Self.event(message, walStart: walStart, tables: &tables, transaction: &transaction)
                    else { continue }
                    events += 1
                    switch self.stage {
                    case .decode:
                        break
                    case .typed:
                        for row in [event.key, event.before, event.after] {
                            guard let row else { continue }
                            checksum &+= try row.typedValues().count
                        }
                    case .json:
                        try encoder.append(event)
                        if encoder.count >= 1 << 20 {
                            checksum &+= encoder.count
                            encoder.removeAll()
                        }
                    }
                }
            }
        }
        let elapsed = start.duration(to: .now)
        if checksum == -1 { print("unreachable") }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(stage: self.stage, bytes: bytes, events: events, seconds: seconds)
    }

    /// Builds a change event as the pipeline does (rows over the message's slices, key columns from the
    /// relation); `nil` for messages that are not row changes.
    static func event(
        _ message: PGOutputMessage,
        walStart: UInt64,
        tables: inout [UInt32: TableSchema],
        transaction: inout TransactionInfo?
    ) -> ChangeEvent? {
        switch message {
        case .begin(let begin):
            transaction = TransactionInfo(
                xid: begin.xid,
                commitLSN: LSN(begin.finalLSN),
                commitTime: Date(timeIntervalSince1970: Double(begin.commitTimestamp) / 1e6 + 946_684_800)
            )
            return nil
        case .relation(let relation):
            tables[relation.relationID] = TableSchema(
                relationID: relation.relationID,
                namespace: relation.namespace,
                name: relation.name,
                replicaIdentity: .default,
                columns: relation.columns.map {
                    ColumnSchema(name: $0.name, typeOID: $0.typeOID, typeModifier: $0.typeModifier, isKey: $0.isKey)
                }
            )
            return nil
        case .insert(let insert):
            guard let table = tables[insert.relationID] else { return nil }
            let after = Self.row(insert.newTuple, table: table)
            return ChangeEvent(
                operation: .insert,
                table: table,
                after: after,
                key: Self.key(of: after, table: table),
                lsn: LSN(walStart),
                transaction: transaction,
                index: 0
            )
        case .update(let update):
            guard let table = tables[update.relationID] else { return nil }
            let after = Self.row(update.newTuple, table: table)
            return ChangeEvent(
                operation: .update,
                table: table,
                before: update.oldTuple.map { Self.row($0, table: table) },
                after: after,
                key: Self.key(of: after, table: table),
                lsn: LSN(walStart),
                transaction: transaction,
                index: 0
            )
        case .delete(let delete):
            guard let table = tables[delete.relationID] else { return nil }
            let before = Self.row(delete.oldTuple, table: table)
            return ChangeEvent(
                operation: .delete,
                table: table,
                before: before,
                key: Self.key(of: before, table: table),
                lsn: LSN(walStart),
                transaction: transaction,
                index: 0
            )
        default:
            return nil
        }
    }

    private static func row(_ tuple: TupleData, table: TableSchema) -> Row {
        var values: [ColumnValue] = []
        values.reserveCapacity(tuple.count)
        for (column, value) in zip(table.columns, tuple) {
            let storage: ColumnValue.Storage
            switch value {
            case .null: storage = .null
            case .unchangedToast: storage = .unchangedToast
            case .text(let bytes): storage = .text(bytes)
            case .binary(let bytes): storage = .binary(bytes)
            }
            values.append(ColumnValue(storage: storage, typeOID: column.typeOID, typeModifier: column.typeModifier))
        }
        return Row(columns: table.columns, values: values, catalog: .builtin)
    }

    private static func key(of row: Row, table: TableSchema) -> Row? {
        let indexes = table.keyColumnIndexes
        guard !indexes.isEmpty else { return nil }
        return Row(
            columns: indexes.map { table.columns[$0] },
            values: indexes.map { row.values[$0] },
            catalog: .builtin
        )
    }
}
