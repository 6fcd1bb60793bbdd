import PostgresWire

/// Trigger-based log tables that keep a copy of every change to published tables, so that a consumer can
/// recover the changes its replication slot lost in a failover (PostgreSQL before 17 does not copy logical
/// slots to standbys).
///
/// Layout (in ``schema``, `pgcdc` by default; see `docs/failover.md`, "Log tables"):
/// - `change_log`: one row per changed row (and one per truncated table): the transaction as `xid8`, the
///   operation, the table (OID, schema, name), the old and new row as their text output (`OLD::text`/`NEW::text`,
///   which prints every column with its type's output function, exactly what pgoutput sends in text mode), and an
///   identity `id` that orders entries within a transaction.
/// - `checkpoint`: one row per slot with the last acknowledged commit; written in the same transaction that
///   prunes the acknowledged entries (``acknowledge(_:transactions:on:logger:)``).
/// - `log_change()`: the trigger function, `SECURITY DEFINER` so that writers need no privilege on the log.
///
/// Every table of a publication gets a row-level `AFTER INSERT OR UPDATE OR DELETE` trigger and a statement-level
/// `AFTER TRUNCATE` trigger (``install(publication:on:logger:)``), enabled `ALWAYS` so that they also fire for
/// changes applied by a replication worker.
///
/// - Important: the log tables belong to one consumer: pruning for one slot removes entries another consumer may
///   still need. Give each consumer its own ``schema``.
public struct LogTables: Sendable, Hashable {
    /// The schema of the log table, the checkpoint table and the trigger function.
    public var schema: String

    /// The default schema, `pgcdc`.
    public static let defaultSchema = "pgcdc"

    /// The log table's name within ``schema``.
    public static let logTableName = "change_log"
    /// The checkpoint table's name within ``schema``.
    public static let checkpointTableName = "checkpoint"
    /// The trigger function's name within ``schema``.
    public static let functionName = "log_change"

    /// Creates a handle on the log tables of a schema; nothing is created until
    /// ``install(publication:on:logger:)``.
    /// - Parameter schema: the schema (default `pgcdc`); any name, it is always quoted.
    public init(schema: String = LogTables.defaultSchema) {
        self.schema = schema
    }

    /// The name of the row-level trigger on each published table.
    public var rowTriggerName: String { "\(self.schema)_log_change" }
    /// The name of the statement-level truncate trigger on each published table.
    public var truncateTriggerName: String { "\(self.schema)_log_truncate" }

    /// Whether a table belongs to these log tables (the log or the checkpoint table), so that its changes must not
    /// be delivered as user events: a publication `FOR ALL TABLES` publishes them too, and nothing can exclude them.
    /// - Parameters:
    ///   - namespace: the table's schema.
    ///   - name: the table's name.
    /// - Returns: true for the tables in ``schema``.
    public func isLogTable(namespace: String, name: String) -> Bool {
        namespace == self.schema
    }

    /// Whether a table belongs to log tables in the default schema (see ``isLogTable(namespace:name:)``).
    /// - Parameters:
    ///   - namespace: the table's schema.
    ///   - name: the table's name.
    /// - Returns: true for the tables in `pgcdc`.
    public static func isLogTable(namespace: String, name: String) -> Bool {
        LogTables().isLogTable(namespace: namespace, name: name)
    }

    /// `schema.object`, both quoted.
    func qualified(_ object: String) -> String {
        "\(ReplicationCommandQuoting.identifier(self.schema)).\(ReplicationCommandQuoting.identifier(object))"
    }

    /// The 64-bit transaction id (`xid8`) of a 32-bit xid (as pgoutput reports it) of a transaction that has
    /// already started: the epoch is the one of `next` (the next unassigned `xid8`), or the previous one when the
    /// xid is not below `next` within that epoch.
    /// - Parameters:
    ///   - xid: the 32-bit transaction id.
    ///   - next: the server's next transaction id (`pg_snapshot_xmax(pg_current_snapshot())`).
    /// - Returns: the full id, or `nil` when it would be before the first epoch.
    static func fullTransactionID(xid: UInt32, next: UInt64) -> UInt64? {
        let candidate = (next & ~UInt64(0xFFFF_FFFF)) | UInt64(xid)
        if candidate < next { return candidate }
        guard candidate >= 1 << 32 else { return nil }
        return candidate - (1 << 32)
    }
}
