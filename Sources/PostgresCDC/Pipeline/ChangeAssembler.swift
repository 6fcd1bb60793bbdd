import Foundation
import PGOutput
import PostgresWire

/// Turns decoded pgoutput messages into change events: keeps the relation (schema) cache, the current
/// transaction and the position of each event within it.
///
/// Pure: no I/O. The pipeline enriches schemas from the catalog and feeds them back with
/// ``replaceSchema(_:)``.
struct ChangeAssembler {
    /// One step's output: usually zero or one event.
    enum Output {
        case none
        case one(CDCEvent)
        case many([CDCEvent])
    }

    private(set) var relations: [UInt32: TableSchema] = [:] {
        didSet { self.keyLayouts = [:] }
    }
    /// The key columns of each relation, worked out once per schema instead of once per row.
    private var keyLayouts: [UInt32: (indexes: [Int], columns: [ColumnSchema])] = [:]
    private(set) var catalog: PostgresTypeCatalog
    /// The open (non-streamed) transaction.
    private var current: (info: TransactionInfo, nextIndex: Int)?
    /// Streamed transactions: the next event index per xid.
    private var streamed: [UInt32: Int] = [:]
    /// The streamed transaction of the current stream block.
    private var streamBlockXID: UInt32?
    let acknowledger: Acknowledger?

    init(catalog: PostgresTypeCatalog = .builtin, acknowledger: Acknowledger?) {
        self.catalog = catalog
        self.acknowledger = acknowledger
    }

    /// True while a transaction is open (begun and not yet committed).
    var isInTransaction: Bool { self.current != nil || !self.streamed.isEmpty }

    /// A fresh connection: pgoutput will send every relation again and a half-delivered transaction is gone.
    mutating func reset() {
        self.current = nil
        self.streamed = [:]
        self.streamBlockXID = nil
    }

    /// Replaces a relation's schema with an enriched version (type names, nullability, primary key).
    mutating func replaceSchema(_ schema: TableSchema) {
        self.relations[schema.relationID] = schema
    }

    /// Registers types found in the catalog (enums, domains, arrays of them).
    mutating func register(_ types: [PostgresTypeInfo]) {
        for type in types { self.catalog.register(type) }
    }

    mutating func process(_ message: PGOutputMessage, walStart: LSN) throws(CDCError) -> Output {
        switch message {
        case .begin(let begin):
            let info = TransactionInfo(
                xid: begin.xid,
                commitLSN: LSN(begin.finalLSN),
                commitTime: Date(postgresMicroseconds: begin.commitTimestamp),
                origin: nil
            )
            self.current = (info, 0)
            return .one(.begin(info))
        case .origin(let origin):
            // pgoutput sends Origin right after Begin.
            if var current = self.current {
                current.info.origin = origin.name
                self.current = current
            }
            return .none
        case .commit(let commit):
            let (committed, acknowledgement) = try self.finishCurrent(
                "a Commit without a Begin",
                commitLSN: commit.commitLSN,
                endLSN: commit.endLSN,
                timestamp: commit.commitTimestamp,
                walStart: walStart
            )
            return .one(.commit(committed, acknowledgement))
        case .relation(let relation):
            let schema = self.schema(from: relation)
            self.relations[relation.relationID] = schema
            return .one(.relation(schema))
        case .type(let type):
            if self.catalog.info(for: type.typeOID) == nil {
                self.catalog.register(
                    PostgresTypeInfo(oid: type.typeOID, namespace: type.namespace, name: type.name, kind: .other)
                )
            }
            return .none
        case .insert(let insert):
            let table = try self.table(insert.relationID, walStart: walStart)
            let after = self.row(insert.newTuple, table: table)
            let key = self.keyRow(of: after, table: table)
            return try self.event(
                xid: insert.xid,
                walStart: walStart,
                make: { tx, index in
                    ChangeEvent(
                        operation: .insert,
                        table: table,
                        after: after,
                        key: key,
                        unchangedToastColumns: after.unchangedToastColumns,
                        lsn: walStart,
                        transaction: tx,
                        index: index
                    )
                }
            )
        case .update(let update):
            let table = try self.table(update.relationID, walStart: walStart)
            let old = update.oldTuple.map { self.row($0, table: table) }
            var newTuple = self.row(update.newTuple, table: table)
            if update.oldTupleKind == .old, let old {
                newTuple = Self.fillUnchangedToast(newTuple, from: old)
            }
            let after = newTuple
            let before = update.oldTupleKind == .old ? old : nil
            let key = self.keyRow(of: old ?? after, table: table)
            return try self.event(
                xid: update.xid,
                walStart: walStart,
                make: { tx, index in
                    ChangeEvent(
                        operation: .update,
                        table: table,
                        before: before,
                        after: after,
                        key: key,
                        unchangedToastColumns: after.unchangedToastColumns,
                        lsn: walStart,
                        transaction: tx,
                        index: index
                    )
                }
            )
        case .delete(let delete):
            let table = try self.table(delete.relationID, walStart: walStart)
            let old = self.row(delete.oldTuple, table: table)
            let before = delete.oldTupleKind == .old ? old : nil
            let key = self.keyRow(of: old, table: table)
            return try self.event(
                xid: delete.xid,
                walStart: walStart,
                make: { tx, index in
                    ChangeEvent(
                        operation: .delete,
                        table: table,
                        before: before,
                        key: key,
                        lsn: walStart,
                        transaction: tx,
                        index: index
                    )
                }
            )
        case .truncate(let truncate):
            var events: [CDCEvent] = []
            for relationID in truncate.relationIDs {
                let table = try self.table(relationID, walStart: walStart)
                let step = try self.event(
                    xid: truncate.xid,
                    walStart: walStart,
                    make: { tx, index in
                        ChangeEvent(
                            operation: .truncate,
                            table: table,
                            truncateOptions: ChangeEvent.TruncateOptions(rawValue: truncate.options.rawValue),
                            lsn: walStart,
                            transaction: tx,
                            index: index
                        )
                    }
                )
                if case .one(let event) = step { events.append(event) }
            }
            return .many(events)
        case .message(let message):
            let payload = ChangeEvent.Message(
                prefix: message.prefix,
                content: message.content,
                isTransactional: message.isTransactional
            )
            guard message.isTransactional else {
                // Outside any transaction: delivered at once, acknowledged at its own position.
                return .one(
                    .change(
                        ChangeEvent(
                            operation: .message,
                            table: nil,
                            message: payload,
                            lsn: LSN(message.lsn),
                            transaction: nil,
                            index: 0
                        )
                    )
                )
            }
            return try self.event(
                xid: message.xid,
                walStart: walStart,
                make: { tx, index in
                    ChangeEvent(
                        operation: .message,
                        table: nil,
                        message: payload,
                        lsn: LSN(message.lsn),
                        transaction: tx,
                        index: index
                    )
                }
            )
        case .streamStart(let start):
            self.streamBlockXID = start.xid
            if start.isFirstSegment || self.streamed[start.xid] == nil {
                self.streamed[start.xid] = self.streamed[start.xid] ?? 0
                return .one(
                    .begin(TransactionInfo(xid: start.xid, commitLSN: nil, commitTime: nil, isStreamed: true))
                )
            }
            return .none
        case .streamStop:
            self.streamBlockXID = nil
            return .none
        case .streamCommit(let commit):
            let count = self.streamed.removeValue(forKey: commit.xid) ?? 0
            let end = LSN(commit.endLSN)
            let info = TransactionInfo(
                xid: commit.xid,
                commitLSN: LSN(commit.commitLSN),
                commitTime: Date(postgresMicroseconds: commit.commitTimestamp),
                isStreamed: true
            )
            let committed = CommittedTransaction(
                transaction: info,
                commitLSN: LSN(commit.commitLSN),
                endLSN: end,
                commitTime: Date(postgresMicroseconds: commit.commitTimestamp),
                eventCount: count
            )
            return .one(.commit(committed, Acknowledgement(position: end, acknowledger: self.acknowledger)))
        case .streamAbort(let abort):
            if abort.subxid == abort.xid {
                self.streamed.removeValue(forKey: abort.xid)
            }
            return .one(.streamAbort(xid: abort.xid, subtransactionID: abort.subxid))
        case .beginPrepare(let begin):
            let info = TransactionInfo(
                xid: begin.xid,
                commitLSN: LSN(begin.prepareLSN),
                commitTime: Date(postgresMicroseconds: begin.prepareTimestamp),
                origin: nil
            )
            self.current = (info, 0)
            return .one(.begin(info))
        case .prepare(let prepare):
            // Prepared, not committed: the outcome follows as Commit Prepared or Rollback Prepared.
            let (prepared, acknowledgement) = try self.finishCurrent(
                "a Prepare without a Begin Prepare",
                commitLSN: prepare.prepareLSN,
                endLSN: prepare.endLSN,
                timestamp: prepare.prepareTimestamp,
                walStart: walStart
            )
            return .one(.prepared(prepared, gid: prepare.gid, acknowledgement))
        case .commitPrepared(let commit):
            let end = LSN(commit.endLSN)
            return .one(
                .preparedOutcome(
                    xid: commit.xid,
                    gid: commit.gid,
                    committed: true,
                    Acknowledgement(position: end, acknowledger: self.acknowledger)
                )
            )
        case .rollbackPrepared(let rollback):
            let end = LSN(rollback.rollbackEndLSN)
            return .one(
                .preparedOutcome(
                    xid: rollback.xid,
                    gid: rollback.gid,
                    committed: false,
                    Acknowledgement(position: end, acknowledger: self.acknowledger)
                )
            )
        case .streamPrepare(let prepare):
            let count = self.streamed.removeValue(forKey: prepare.xid) ?? 0
            let end = LSN(prepare.endLSN)
            let info = TransactionInfo(
                xid: prepare.xid,
                commitLSN: LSN(prepare.prepareLSN),
                commitTime: Date(postgresMicroseconds: prepare.prepareTimestamp),
                isStreamed: true
            )
            let prepared = CommittedTransaction(
                transaction: info,
                commitLSN: LSN(prepare.prepareLSN),
                endLSN: end,
                commitTime: Date(postgresMicroseconds: prepare.prepareTimestamp),
                eventCount: count
            )
            return .one(
                .prepared(prepared, gid: prepare.gid, Acknowledgement(position: end, acknowledger: self.acknowledger))
            )
        }
    }

    // MARK: helpers

    /// Ends the open transaction at its commit (or prepare) record.
    private mutating func finishCurrent(
        _ violation: String,
        commitLSN: UInt64,
        endLSN: UInt64,
        timestamp: Int64,
        walStart: LSN
    ) throws(CDCError) -> (CommittedTransaction, Acknowledgement) {
        guard let current = self.current else {
            throw CDCError(.protocolViolation, violation, lsn: walStart)
        }
        self.current = nil
        let end = LSN(endLSN)
        let committed = CommittedTransaction(
            transaction: current.info,
            commitLSN: LSN(commitLSN),
            endLSN: end,
            commitTime: Date(postgresMicroseconds: timestamp),
            eventCount: current.nextIndex
        )
        return (committed, Acknowledgement(position: end, acknowledger: self.acknowledger))
    }

    private func schema(from relation: PGOutputMessage.Relation) -> TableSchema {
        let previous = self.relations[relation.relationID]
        let columns = relation.columns.map { column in
            // Keep what the catalog told us about a column that did not change.
            let known = previous?.columns.first {
                $0.name == column.name && $0.typeOID == column.typeOID && $0.typeModifier == column.typeModifier
            }
            return ColumnSchema(
                name: column.name,
                typeOID: column.typeOID,
                typeName: known?.typeName ?? self.catalog.info(for: column.typeOID)?.name,
                typeModifier: column.typeModifier,
                isKey: column.isKey,
                isNullable: known?.isNullable
            )
        }
        let identity: ReplicaIdentity
        switch relation.replicaIdentity {
        case .default: identity = .default
        case .nothing: identity = .nothing
        case .full: identity = .full
        case .index: identity = .index
        }
        return TableSchema(
            relationID: relation.relationID,
            namespace: relation.namespace,
            name: relation.name,
            replicaIdentity: identity,
            columns: columns
        )
    }

    private func table(_ relationID: UInt32, walStart: LSN) throws(CDCError) -> TableSchema {
        guard let table = self.relations[relationID] else {
            throw CDCError(
                .protocolViolation,
                "a row change for relation \(relationID) arrived before its Relation message",
                lsn: walStart
            )
        }
        return table
    }

    private func row(_ tuple: TupleData, table: TableSchema) -> Row {
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
        return Row(columns: table.columns, values: values, catalog: self.catalog)
    }

    /// The key columns of a row (replica identity; for REPLICA IDENTITY FULL the primary key when the table
    /// has one).
    private mutating func keyRow(of row: Row, table: TableSchema) -> Row? {
        let layout: (indexes: [Int], columns: [ColumnSchema])
        if let known = self.keyLayouts[table.relationID] {
            layout = known
        } else {
            let indexes = table.keyColumnIndexes
            layout = (indexes, indexes.map { table.columns[$0] })
            self.keyLayouts[table.relationID] = layout
        }
        guard !layout.indexes.isEmpty else { return nil }
        return Row(columns: layout.columns, values: layout.indexes.map { row.values[$0] }, catalog: self.catalog)
    }

    /// REPLICA IDENTITY FULL sends the whole old row: an unchanged TOAST value in the new row is the old value.
    private static func fillUnchangedToast(_ row: Row, from old: Row) -> Row {
        guard row.values.contains(where: \.isUnchangedToast) else { return row }
        var values = row.values
        for index in values.indices where values[index].isUnchangedToast && index < old.values.count {
            if !old.values[index].isUnchangedToast { values[index] = old.values[index] }
        }
        return Row(columns: row.columns, values: values, catalog: row.catalog)
    }

    /// Numbers an event within its (possibly streamed) transaction.
    private mutating func event(
        xid: UInt32?,
        walStart: LSN,
        make: (TransactionInfo, Int) -> ChangeEvent
    ) throws(CDCError) -> Output {
        if let xid {
            // Inside a stream block, rows carry the xid of the (sub)transaction that made them; they belong to
            // the block's top-level transaction.
            guard let top = self.streamBlockXID, let index = self.streamed[top] else {
                throw CDCError(
                    .protocolViolation,
                    "a streamed change for transaction \(xid) outside its stream",
                    lsn: walStart
                )
            }
            self.streamed[top] = index + 1
            let info = TransactionInfo(
                xid: top,
                commitLSN: nil,
                commitTime: nil,
                isStreamed: true,
                subtransactionID: xid == top ? nil : xid
            )
            return .one(.change(make(info, index)))
        }
        guard var current = self.current else {
            throw CDCError(.protocolViolation, "a row change outside a transaction", lsn: walStart)
        }
        let index = current.nextIndex
        current.nextIndex += 1
        self.current = current
        return .one(.change(make(current.info, index)))
    }
}
