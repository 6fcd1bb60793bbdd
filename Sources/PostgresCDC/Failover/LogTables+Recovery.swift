import Foundation
public import Logging
import NIOCore
public import PostgresNIO
public import PostgresWire

extension LogTables {
    /// Reads the transactions still in the log — those not acknowledged (pruned) yet — as the change events the
    /// stream would have delivered, marked recovered.
    ///
    /// Runs in one `REPEATABLE READ READ ONLY` transaction, importing `snapshot` when given: pass the snapshot the
    /// new slot exported, so that what committed before the slot's consistent point comes from the log and what
    /// committed after comes from the slot, with no gap and no overlap.
    ///
    /// Order: by commit time when `track_commit_timestamp` is on (transactions that committed before it was turned
    /// on come first); then — and without commit timestamps, only — by each transaction's last log entry. The
    /// entries' ids come from one sequence, and a transaction that waited for another's row lock writes its entry
    /// after the other committed, so transactions that touched the same rows are always in commit order; others may
    /// be out of commit order (they are independent). Within a transaction, events are in the order they were made.
    ///
    /// Events carry the table schema as of the snapshot (type names, nullability, key columns), only the published
    /// columns (column lists; generated columns are never published), and only the operations the publications
    /// publish. Recovered events never have unchanged TOAST values (the trigger saw the whole row), a truncate's
    /// options are unknown (empty), and transactional logical messages are not logged.
    ///
    /// - Important: entries of a table dropped since are skipped (logged at info level). A table whose columns
    ///   changed since its entries were logged cannot be decoded, and the call throws.
    /// - Parameters:
    ///   - checkpoint: the consumer's last checkpoint: its transaction (``Checkpoint/xid``) is skipped, as it was
    ///     acknowledged even if its pruning did not reach this server. `nil` skips nothing.
    ///   - publications: the publications the consumer streams; entries of other tables are skipped.
    ///   - snapshot: a snapshot to import (`pg_export_snapshot()`, or the name `CREATE_REPLICATION_SLOT` returned).
    ///   - position: the LSN to put on the recovered events (they have none of their own), for example the new
    ///     slot's consistent point.
    ///   - connection: a SQL connection to the primary.
    ///   - logger: for the queries.
    /// - Returns: the transactions, in the order to deliver them.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/failover`` when the log cannot be read or an entry not
    ///   decoded.
    public func pendingTransactions(
        after checkpoint: Checkpoint?,
        publications: [String],
        snapshot: String? = nil,
        position: LSN = .zero,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [RecoveredTransaction] {
        do {
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
        } catch {
            throw Self.cdcError(error, "reading the log")
        }
        do {
            if let snapshot {
                try await connection.query(
                    PostgresQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT \(ReplicationCommandQuoting.literal(snapshot))"),
                    logger: logger
                )
            }
            let result = try await self.readPending(
                after: checkpoint,
                publications: publications,
                position: position,
                on: connection,
                logger: logger
            )
            try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw Self.cdcError(error, "reading the log")
        }
    }

    /// One logged change.
    private struct Entry {
        var xid: UInt64
        var operation: String
        var relationID: UInt32
        var namespace: String
        var name: String
        var oldRow: String?
        var newRow: String?
        var commitTime: Date?
    }

    /// A table as recovery needs it: the schema the events carry, and where its published columns are in the
    /// row text (all non-dropped columns, in order).
    private struct RecoveryTable {
        var schema: TableSchema
        var allColumnCount: Int
        var publishedPositions: [Int]
        var operations: Set<String>
    }

    private func readPending(
        after checkpoint: Checkpoint?,
        publications: [String],
        position: LSN,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [RecoveredTransaction] {
        let log = self.qualified(Self.logTableName)
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH tx AS (SELECT xid, max(id) AS last_id FROM \(log) GROUP BY xid),
                    entries AS (
                        SELECT l.*, tx.last_id,
                               CASE WHEN pg_catalog.current_setting('track_commit_timestamp')::bool
                                    THEN pg_catalog.pg_xact_commit_timestamp(l.xid::xid) END AS commit_time
                        FROM \(log) l JOIN tx USING (xid)
                    )
                    SELECT xid::text, operation::text, relid::int8, schema_name, table_name, old_row, new_row,
                           commit_time
                    FROM entries
                    ORDER BY commit_time NULLS FIRST, last_id, id
                    """
            ),
            logger: logger
        )
        var entries: [Entry] = []
        for try await (xid, operation, relid, namespace, name, oldRow, newRow, commitTime) in rows.decode(
            (String, String, Int64, String, String, String?, String?, Date?).self
        ) {
            guard let xid = UInt64(xid) else {
                throw CDCError(.failover, "the log holds a transaction id that is not a number: \(xid)")
            }
            entries.append(
                Entry(
                    xid: xid,
                    operation: operation,
                    relationID: UInt32(truncatingIfNeeded: relid),
                    namespace: namespace,
                    name: name,
                    oldRow: oldRow,
                    newRow: newRow,
                    commitTime: commitTime
                )
            )
        }
        guard !entries.isEmpty else { return [] }
        let (tables, catalog) = try await self.recoveryTables(
            Set(entries.map(\.relationID)),
            publications: publications,
            on: connection,
            logger: logger
        )

        var result: [RecoveredTransaction] = []
        var skippedDropped = 0
        for entry in entries {
            if let acknowledged = checkpoint?.xid, UInt32(truncatingIfNeeded: entry.xid) == acknowledged {
                continue
            }
            guard let table = tables[entry.relationID] else {
                // Not published (any more), or dropped.
                skippedDropped += 1
                continue
            }
            guard table.operations.contains(entry.operation) else { continue }
            if result.last?.fullTransactionID != entry.xid {
                let info = TransactionInfo(
                    xid: UInt32(truncatingIfNeeded: entry.xid),
                    commitLSN: nil,
                    commitTime: entry.commitTime
                )
                result.append(RecoveredTransaction(fullTransactionID: entry.xid, transaction: info, events: []))
            }
            let index = result[result.count - 1].events.count
            let event = try Self.event(
                entry,
                table: table,
                catalog: catalog,
                transaction: result[result.count - 1].transaction,
                index: index,
                position: position
            )
            result[result.count - 1].events.append(event)
        }
        if skippedDropped > 0 {
            logger.info(
                "skipped log entries of tables that are no longer published",
                metadata: ["pgcdc.entries": "\(skippedDropped)"]
            )
        }
        return result
    }

    /// The schemas, published columns and operations of the logged tables that the publications still publish,
    /// and the types their columns use.
    private func recoveryTables(
        _ relationIDs: Set<UInt32>,
        publications: [String],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> ([UInt32: RecoveryTable], PostgresTypeCatalog) {
        let oids = relationIDs.map { Int64($0) }
        // Published operations and column lists per table, over all publications.
        var operations: [UInt32: Set<String>] = [:]
        var publishedNames: [UInt32: Set<String>] = [:]
        let version = try await connection.query("SELECT current_setting('server_version_num')::int8", logger: logger)
        var serverVersion: Int64 = 0
        for try await value in version.decode(Int64.self) { serverVersion = value }
        let columnList = serverVersion >= 150_000 ? "pt.attnames::text[]" : "NULL::text[]"
        let published = try await connection.query(
            """
            SELECT c.oid::int8, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, \(unescaped: columnList)
            FROM pg_catalog.pg_publication p
            JOIN pg_catalog.pg_publication_tables pt ON pt.pubname = p.pubname
            JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
            WHERE p.pubname = ANY(\(publications)::text[]) AND c.oid = ANY(\(oids)::int8[]::oid[])
            """,
            logger: logger
        )
        for try await (oid, insert, update, delete, truncate, names) in published.decode(
            (Int64, Bool, Bool, Bool, Bool, [String]?).self
        ) {
            let relationID = UInt32(truncatingIfNeeded: oid)
            var ops = operations[relationID] ?? []
            if insert { ops.insert("I") }
            if update { ops.insert("U") }
            if delete { ops.insert("D") }
            if truncate { ops.insert("T") }
            operations[relationID] = ops
            if let names { publishedNames[relationID, default: []].formUnion(names) }
        }

        let columns = try await connection.query(
            """
            SELECT a.attrelid::int8, n.nspname::text, c.relname::text, c.relreplident::text, a.attname::text,
                   a.atttypid::int8, a.atttypmod::int8, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   a.attgenerated <> '', COALESCE(a.attnum = ANY(pk.indkey), false),
                   COALESCE(a.attnum = ANY(ri.indkey), false)
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary
            LEFT JOIN pg_catalog.pg_index ri ON ri.indrelid = c.oid AND ri.indisreplident
            WHERE a.attrelid = ANY(\(oids)::int8[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attrelid, a.attnum
            """,
            logger: logger
        )
        var tables: [UInt32: RecoveryTable] = [:]
        var hasPrimaryKey: Set<UInt32> = []
        for try await row in columns.decode(
            (Int64, String, String, String, String, Int64, Int64, String?, Bool, Bool, Bool, Bool).self
        ) {
            let (oid, namespace, name, identityCode, column, typeOID, typeModifier, typeName, notNull) =
                (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8)
            let (generated, inPrimaryKey, inIdentityIndex) = (row.9, row.10, row.11)
            let relationID = UInt32(truncatingIfNeeded: oid)
            guard let ops = operations[relationID] else { continue }
            let identity: ReplicaIdentity
            switch identityCode {
            case "f": identity = .full
            case "n": identity = .nothing
            case "i": identity = .index
            default: identity = .default
            }
            var table =
                tables[relationID]
                ?? RecoveryTable(
                    schema: TableSchema(
                        relationID: relationID,
                        namespace: namespace,
                        name: name,
                        replicaIdentity: identity,
                        columns: []
                    ),
                    allColumnCount: 0,
                    publishedPositions: [],
                    operations: ops
                )
            let position = table.allColumnCount
            table.allColumnCount += 1
            if inPrimaryKey { hasPrimaryKey.insert(relationID) }
            let isPublished = !generated && (publishedNames[relationID]?.contains(column) ?? true)
            if isPublished {
                let isKey: Bool
                switch identity {
                case .default: isKey = inPrimaryKey
                case .index: isKey = inIdentityIndex
                case .full: isKey = true
                case .nothing: isKey = false
                }
                table.schema.columns.append(
                    ColumnSchema(
                        name: column,
                        typeOID: UInt32(truncatingIfNeeded: typeOID),
                        typeName: typeName,
                        typeModifier: Int32(truncatingIfNeeded: typeModifier),
                        isKey: isKey,
                        isNullable: !notNull
                    )
                )
                table.publishedPositions.append(position)
            }
            tables[relationID] = table
        }
        // Like the stream's enrichment: under REPLICA IDENTITY FULL the primary key, when there is one, is the key.
        for relationID in hasPrimaryKey {
            guard var table = tables[relationID], table.schema.replicaIdentity == .full else { continue }
            let primaryKey = try await self.primaryKeyColumns(relationID, on: connection, logger: logger)
            for index in table.schema.columns.indices {
                table.schema.columns[index].isKey = primaryKey.contains(table.schema.columns[index].name)
            }
            tables[relationID] = table
        }

        var catalog = PostgresTypeCatalog.builtin
        let unknown = Set(tables.values.flatMap { $0.schema.columns.map(\.typeOID) }).filter {
            catalog.info(for: $0) == nil
        }
        if !unknown.isEmpty {
            let client = CatalogClient(connection: connection, logger: logger)
            for type in try await client.types(Array(unknown), known: catalog) { catalog.register(type) }
        }
        return (tables, catalog)
    }

    private func primaryKeyColumns(
        _ relationID: UInt32,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Set<String> {
        let rows = try await connection.query(
            """
            SELECT a.attname::text FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = \(Int64(relationID))::int8::oid AND i.indisprimary
            """,
            logger: logger
        )
        var names = Set<String>()
        for try await name in rows.decode(String.self) { names.insert(name) }
        return names
    }

    /// Turns one entry into the event the stream would have delivered.
    private static func event(
        _ entry: Entry,
        table: RecoveryTable,
        catalog: PostgresTypeCatalog,
        transaction: TransactionInfo,
        index: Int,
        position: LSN
    ) throws(CDCError) -> ChangeEvent {
        let schema = table.schema
        let identity = schema.replicaIdentity
        switch entry.operation {
        case "I":
            let after = try Self.row(entry.newRow, table: table, catalog: catalog)
            return ChangeEvent(
                operation: .insert,
                table: schema,
                after: after,
                key: Self.keyRow(after, schema: schema),
                lsn: position,
                transaction: transaction,
                index: index,
                isRecovered: true
            )
        case "U":
            let before = try Self.row(entry.oldRow, table: table, catalog: catalog)
            let after = try Self.row(entry.newRow, table: table, catalog: catalog)
            return ChangeEvent(
                operation: .update,
                table: schema,
                before: identity == .full ? before : nil,
                after: after,
                key: Self.keyRow(before, schema: schema),
                lsn: position,
                transaction: transaction,
                index: index,
                isRecovered: true
            )
        case "D":
            let before = try Self.row(entry.oldRow, table: table, catalog: catalog)
            return ChangeEvent(
                operation: .delete,
                table: schema,
                before: identity == .full ? before : nil,
                key: Self.keyRow(before, schema: schema),
                lsn: position,
                transaction: transaction,
                index: index,
                isRecovered: true
            )
        case "T":
            return ChangeEvent(
                operation: .truncate,
                table: schema,
                lsn: position,
                transaction: transaction,
                index: index,
                isRecovered: true
            )
        default:
            throw CDCError(
                .failover,
                "the log holds an unknown operation \"\(entry.operation)\"",
                relation: schema.qualifiedName
            )
        }
    }

    /// A logged row text as a row of the published columns, with the text output of each as pgoutput sends it.
    private static func row(_ text: String?, table: RecoveryTable, catalog: PostgresTypeCatalog) throws(CDCError) -> Row
    {
        guard let text else {
            throw CDCError(.failover, "a log entry lacks its row", relation: table.schema.qualifiedName)
        }
        let fields: [[UInt8]?]
        do {
            fields = try RecordTextParser.fields(of: text.utf8, expectedCount: table.allColumnCount)
        } catch {
            throw CDCError(
                .failover,
                "a logged row is not a row value (at byte \(error.offset), expected \(error.expected))",
                relation: table.schema.qualifiedName,
                underlying: error
            )
        }
        guard fields.count == table.allColumnCount else {
            throw CDCError(
                .failover,
                "a logged row has \(fields.count) columns but the table has \(table.allColumnCount) now: its columns "
                    + "changed after the change was logged, so the entry cannot be recovered",
                relation: table.schema.qualifiedName
            )
        }
        var values: [ColumnValue] = []
        values.reserveCapacity(table.publishedPositions.count)
        for (column, position) in zip(table.schema.columns, table.publishedPositions) {
            let storage: ColumnValue.Storage = fields[position].map { .text(ByteBuffer(bytes: $0)) } ?? .null
            values.append(ColumnValue(storage: storage, typeOID: column.typeOID, typeModifier: column.typeModifier))
        }
        return Row(columns: table.schema.columns, values: values, catalog: catalog)
    }

    private static func keyRow(_ row: Row, schema: TableSchema) -> Row? {
        let indexes = schema.keyColumnIndexes
        guard !indexes.isEmpty else { return nil }
        return Row(
            columns: indexes.map { schema.columns[$0] },
            values: indexes.map { row.values[$0] },
            catalog: row.catalog
        )
    }
}
