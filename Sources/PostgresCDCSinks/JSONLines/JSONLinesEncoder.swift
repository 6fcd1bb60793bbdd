import Foundation
import NIOCore
public import PostgresCDC
public import PostgresWire

/// Turns stream events into JSON lines (one JSON object per line), the format of `pgcdc stream`.
///
/// Lines are appended to one reused buffer, ``bytes``: write it out, then call ``removeAll()`` to reuse the
/// storage. No Foundation encoder is involved: each column is decoded on its own and written with
/// ``JSONWriter/write(_:)`` (a text value that does not decode is written as sent); ASCII `text`, `varchar`,
/// `json` and `jsonb` values go straight from the received bytes. The format is documented in `docs/events.md`.
public struct JSONLinesEncoder: Sendable {
    private var writer: JSONWriter
    /// The commit time of the last transaction seen, formatted once per transaction.
    private var cachedCommitTime: (date: Date, text: String)?

    /// Creates an encoder.
    /// - Parameter capacity: the bytes to reserve for the buffer.
    public init(capacity: Int = 64 * 1024) {
        self.writer = JSONWriter(capacity: capacity)
    }

    /// The lines encoded since the last ``removeAll()``, each ending with `\n`.
    public var bytes: [UInt8] { self.writer.bytes }

    /// The number of bytes buffered.
    public var count: Int { self.writer.bytes.count }

    /// Empties the buffer, keeping its storage for the next lines.
    public mutating func removeAll() {
        self.writer.bytes.removeAll(keepingCapacity: true)
    }

    /// Appends one change event (insert, update, delete, read, truncate or message) as a line.
    /// - Parameter event: the change.
    /// - Throws: ``ValueDecodingError`` when a binary value does not decode as its column's type (a text value
    ///   that does not decode is written as the string PostgreSQL sent).
    public mutating func append(_ event: ChangeEvent) throws(ValueDecodingError) {
        self.writer.writeRawJSON(#"{"op":""#)
        self.writer.writeRawJSON(event.operation.rawValue)
        self.writer.writeRawJSON("\"")
        switch event.operation {
        case .insert, .update, .delete, .read:
            self.appendTable(event.table)
            self.appendPosition(event)
            self.writer.writeRawJSON(#","key":"#)
            try self.appendRow(event.key)
            self.writer.writeRawJSON(#","before":"#)
            try self.appendRow(event.before)
            self.writer.writeRawJSON(#","after":"#)
            try self.appendRow(event.after)
            if !event.unchangedToastColumns.isEmpty {
                self.writer.writeRawJSON(#","unchanged_toast":["#)
                for (position, name) in event.unchangedToastColumns.enumerated() {
                    if position > 0 { self.writer.comma() }
                    self.writer.writeString(name)
                }
                self.writer.endArray()
            }
        case .truncate:
            self.appendTable(event.table)
            self.appendPosition(event)
            self.writer.writeRawJSON(#","cascade":"#)
            self.writer.writeBool(event.truncateOptions.contains(.cascade))
            self.writer.writeRawJSON(#","restart_identity":"#)
            self.writer.writeBool(event.truncateOptions.contains(.restartIdentity))
        case .message:
            self.appendPosition(event)
            if let message = event.message {
                self.writer.writeRawJSON(#","prefix":"#)
                self.writer.writeString(message.prefix)
                self.writer.writeRawJSON(#","transactional":"#)
                self.writer.writeBool(message.isTransactional)
                let content = message.content.readableBytesView
                if let text = String(validating: content, as: UTF8.self) {
                    self.writer.writeRawJSON(#","content":"#)
                    self.writer.writeString(text)
                } else {
                    self.writer.writeRawJSON(#","content":"#)
                    self.writer.write(PostgresValue.bytes(Array(content)))
                    self.writer.writeRawJSON(#","content_encoding":"hex""#)
                }
            }
        }
        if event.isRecovered {
            self.writer.writeRawJSON(#","recovered":true"#)
        }
        self.endLine()
    }

    /// Appends a `begin` line.
    /// - Parameter transaction: the transaction that begins.
    public mutating func appendBegin(_ transaction: TransactionInfo) {
        self.writer.writeRawJSON(#"{"op":"begin""#)
        self.appendTransaction(transaction)
        self.endLine()
    }

    /// Appends a `commit` line.
    /// - Parameter commit: the committed transaction.
    public mutating func appendCommit(_ commit: CommittedTransaction) {
        self.writer.writeRawJSON(#"{"op":"commit","xid":"#)
        self.writer.writeInt(Int64(commit.transaction.xid))
        self.writer.writeRawJSON(#","commit_lsn":"#)
        self.appendLSN(commit.commitLSN)
        self.writer.writeRawJSON(#","end_lsn":"#)
        self.appendLSN(commit.endLSN)
        self.writer.writeRawJSON(#","commit_time":"#)
        self.appendTime(commit.commitTime)
        self.writer.writeRawJSON(#","events":"#)
        self.writer.writeInt(Int64(commit.eventCount))
        self.endLine()
    }

    /// Appends a `relation` line: a table's layout.
    /// - Parameter table: the table.
    public mutating func appendRelation(_ table: TableSchema) {
        self.writer.writeRawJSON(#"{"op":"relation""#)
        self.appendTable(table)
        self.writer.writeRawJSON(#","relation_id":"#)
        self.writer.writeInt(Int64(table.relationID))
        self.writer.writeRawJSON(#","replica_identity":"#)
        self.writer.writeString(table.replicaIdentity.rawValue)
        self.writer.writeRawJSON(#","columns":["#)
        for (position, column) in table.columns.enumerated() {
            if position > 0 { self.writer.comma() }
            self.writer.writeRawJSON(#"{"name":"#)
            self.writer.writeString(column.name)
            self.writer.writeRawJSON(#","type":"#)
            if let typeName = column.typeName { self.writer.writeString(typeName) } else { self.writer.writeNull() }
            self.writer.writeRawJSON(#","type_oid":"#)
            self.writer.writeInt(Int64(column.typeOID))
            self.writer.writeRawJSON(#","key":"#)
            self.writer.writeBool(column.isKey)
            self.writer.writeRawJSON(#","nullable":"#)
            if let nullable = column.isNullable { self.writer.writeBool(nullable) } else { self.writer.writeNull() }
            self.writer.endObject()
        }
        self.writer.writeRawJSON("]")
        self.endLine()
    }

    /// Appends an `abort` line: a streamed transaction (or one of its subtransactions) was rolled back and its
    /// changes already written must be discarded.
    /// - Parameters:
    ///   - xid: the top-level transaction.
    ///   - subtransactionID: the subtransaction rolled back; equal to `xid` when the whole transaction was.
    public mutating func appendStreamAbort(xid: UInt32, subtransactionID: UInt32) {
        self.writer.writeRawJSON(#"{"op":"abort","xid":"#)
        self.writer.writeInt(Int64(xid))
        self.writer.writeRawJSON(#","subxid":"#)
        self.writer.writeInt(Int64(subtransactionID))
        self.endLine()
    }

    /// Appends a `lost` line: after a failover to a new timeline, these delivered transactions do not exist on
    /// the new primary (asynchronous replication lost them on promotion); downstream must reconcile.
    /// - Parameters:
    ///   - previousTimeline: the timeline they were streamed on.
    ///   - forkLSN: where the new timeline forked.
    ///   - transactions: the lost transactions.
    public mutating func appendLost(previousTimeline: UInt32, forkLSN: LSN, transactions: [DeliveredTransaction]) {
        self.writer.writeRawJSON(#"{"op":"lost","previous_timeline":"#)
        self.writer.writeInt(Int64(previousTimeline))
        self.writer.writeRawJSON(#","fork_lsn":"#)
        self.appendLSN(forkLSN)
        self.writer.writeRawJSON(#","transactions":["#)
        for (index, transaction) in transactions.enumerated() {
            self.writer.writeRawJSON(index == 0 ? #"{"xid":"# : #",{"xid":"#)
            self.writer.writeInt(Int64(transaction.xid))
            self.writer.writeRawJSON(#","commit_lsn":"#)
            self.appendLSN(transaction.commitLSN)
            self.writer.writeRawJSON(#","end_lsn":"#)
            self.appendLSN(transaction.endLSN)
            self.writer.writeRawJSON(#","commit_time":"#)
            self.appendTime(transaction.commitTime)
            self.writer.writeRawJSON("}")
        }
        self.writer.writeRawJSON("]")
        self.endLine()
    }

    // MARK: parts

    private mutating func endLine() {
        self.writer.writeRawJSON("}\n")
    }

    private mutating func appendTable(_ table: TableSchema?) {
        self.writer.writeRawJSON(#","schema":"#)
        if let table { self.writer.writeString(table.namespace) } else { self.writer.writeNull() }
        self.writer.writeRawJSON(#","table":"#)
        if let table { self.writer.writeString(table.name) } else { self.writer.writeNull() }
    }

    private mutating func appendPosition(_ event: ChangeEvent) {
        self.writer.writeRawJSON(#","lsn":"#)
        self.appendLSN(event.lsn)
        if let transaction = event.transaction {
            self.appendTransaction(transaction)
        } else {
            self.writer.writeRawJSON(#","xid":null,"commit_lsn":null,"commit_time":null"#)
        }
        self.writer.writeRawJSON(#","index":"#)
        self.writer.writeInt(Int64(event.index))
    }

    private mutating func appendTransaction(_ transaction: TransactionInfo) {
        self.writer.writeRawJSON(#","xid":"#)
        self.writer.writeInt(Int64(transaction.xid))
        self.writer.writeRawJSON(#","commit_lsn":"#)
        if let lsn = transaction.commitLSN { self.appendLSN(lsn) } else { self.writer.writeNull() }
        self.writer.writeRawJSON(#","commit_time":"#)
        if let time = transaction.commitTime { self.appendTime(time) } else { self.writer.writeNull() }
        if transaction.isStreamed {
            self.writer.writeRawJSON(#","streamed":true"#)
            if let sub = transaction.subtransactionID {
                self.writer.writeRawJSON(#","subxid":"#)
                self.writer.writeInt(Int64(sub))
            }
        }
    }

    private mutating func appendRow(_ row: Row?) throws(ValueDecodingError) {
        guard let row else {
            self.writer.writeNull()
            return
        }
        self.writer.beginObject()
        var first = true
        for (column, raw) in zip(row.columns, row.values) where !raw.isUnchangedToast {
            if !first { self.writer.comma() }
            first = false
            self.writer.writeKey(column.name)
            if self.writeTextDirectly(raw) { continue }
            do {
                self.writer.write(try raw.decode(catalog: row.catalog))
            } catch {
                guard let text = raw.rawText else { throw error }
                self.writer.writeString(text)
            }
        }
        self.writer.endObject()
    }

    /// Writes an ASCII `text`/`varchar` value as a JSON string and a `json`/`jsonb` one as is, straight from the
    /// received bytes: what decoding to a `PostgresValue` and writing it gives, without making a `String`.
    /// - Returns: `false` for any other value (other types, binary format, non-ASCII bytes, which need the UTF-8
    ///   validation of the decoder), which the caller then decodes.
    private mutating func writeTextDirectly(_ raw: ColumnValue) -> Bool {
        guard case .text(let buffer) = raw.storage else { return false }
        let isJSON: Bool
        switch raw.typeOID {
        case Self.textOID, Self.varcharOID: isJSON = false
        case Self.jsonOID, Self.jsonbOID: isJSON = true
        default: return false
        }
        return buffer.withUnsafeReadableBytes { bytes in
            var ascii: UInt8 = 0
            for byte in bytes { ascii |= byte }
            guard ascii < 0x80 else { return false }
            if isJSON {
                self.writer.writeJSONText(utf8: bytes)
            } else {
                self.writer.writeString(utf8: bytes)
            }
            return true
        }
    }

    private static let textOID: UInt32 = 25
    private static let varcharOID: UInt32 = 1043
    private static let jsonOID: UInt32 = 114
    private static let jsonbOID: UInt32 = 3802

    /// Writes `"X/Y"` in upper-case hexadecimal, as PostgreSQL prints an LSN.
    private mutating func appendLSN(_ lsn: LSN) {
        // At most 1 + 8 + 1 + 8 + 1 bytes, formatted on the stack and appended at once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 19) { text in
            var count = 0
            text[count] = UInt8(ascii: "\"")
            count += 1
            Self.formatHex(UInt32(truncatingIfNeeded: lsn.value >> 32), into: text, at: &count)
            text[count] = UInt8(ascii: "/")
            count += 1
            Self.formatHex(UInt32(truncatingIfNeeded: lsn.value), into: text, at: &count)
            text[count] = UInt8(ascii: "\"")
            count += 1
            self.writer.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[..<count]))
        }
    }

    /// Upper-case hexadecimal without leading zeros (`0` for zero).
    private static func formatHex(_ value: UInt32, into text: UnsafeMutableBufferPointer<UInt8>, at count: inout Int) {
        let digits = max(1, (32 - value.leadingZeroBitCount + 3) / 4)
        for position in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt32(position * 4)) & 0xF
            text[count] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
            count += 1
        }
    }

    /// Writes a commit time as an ISO-8601 UTC string with microseconds; formatted once per transaction.
    private mutating func appendTime(_ date: Date) {
        if let cached = self.cachedCommitTime, cached.date == date {
            self.writer.writeString(cached.text)
            return
        }
        let micros = ((date.timeIntervalSince1970 - 946_684_800) * 1_000_000).rounded()
        // PostgreSQL's commit times are far inside Int64's range; clamp anything else instead of trapping.
        let clamped = micros.isFinite ? Int64(max(min(micros, 9.0e18), -9.0e18)) : 0
        let text = PostgresTimestamp(microsecondsSince2000: clamped).iso8601String(utc: true)
        self.cachedCommitTime = (date, text)
        self.writer.writeString(text)
    }
}
