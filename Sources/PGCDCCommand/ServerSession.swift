import Logging
import PostgresWire

/// A short SQL session over a walsender connection (`replication=database` runs plain SQL too), for the
/// management commands.
struct ServerSession {
    /// The connection.
    let connection: ReplicationConnection

    /// Connects, runs `body`, disconnects.
    /// - Parameters:
    ///   - options: the connection option.
    ///   - environment: the variables.
    ///   - body: the work.
    /// - Returns: what `body` returns.
    /// - Throws: ``PostgresWireError`` or what `body` throws.
    static func run<Result>(
        _ options: ConnectionOptions,
        environment: Environment,
        _ body: (ServerSession) async throws -> Result
    ) async throws -> Result {
        try await self.run(settings: options.settings(in: environment), body)
    }

    /// Connects with these settings, runs `body`, disconnects.
    /// - Parameters:
    ///   - settings: where to connect.
    ///   - body: the work.
    /// - Returns: what `body` returns.
    /// - Throws: ``PostgresWireError`` or what `body` throws.
    static func run<Result>(
        settings: ConnectionSettings,
        _ body: (ServerSession) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "pgcdc") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        return try await ReplicationConnection.withConnection(to: settings, logger: logger) { connection in
            try await body(ServerSession(connection: connection))
        }
    }

    /// The rows of one query, as text.
    /// - Parameter sql: one statement.
    /// - Returns: the rows.
    /// - Throws: ``PostgresWireError``.
    func rows(_ sql: String) async throws(PostgresWireError) -> [[String?]] {
        try await self.connection.simpleQuery(sql).first?.rows ?? []
    }

    /// The first value of a query.
    /// - Parameter sql: one statement.
    /// - Returns: the value, or `nil`.
    /// - Throws: ``PostgresWireError``.
    func value(_ sql: String) async throws(PostgresWireError) -> String? {
        try await self.rows(sql).first?.first ?? nil
    }

    /// The logical and physical slots of the server.
    /// - Returns: the slots.
    /// - Throws: ``PostgresWireError``.
    func slots() async throws(PostgresWireError) -> [SlotInfo] {
        let hasFailover = self.connection.serverMajorVersion >= 17
        let extra = hasFailover ? ", failover::text, synced::text" : ""
        let rows = try await self.rows(
            """
            SELECT slot_name::text, coalesce(plugin::text, ''), slot_type, coalesce(database::text, ''), active::text,
                   coalesce(confirmed_flush_lsn::text, '-'),
                   (CASE WHEN pg_is_in_recovery() THEN NULL
                         ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END)::bigint::text\(extra)
            FROM pg_catalog.pg_replication_slots ORDER BY slot_name
            """
        )
        return rows.map { row in
            SlotInfo(
                name: row[0] ?? "",
                plugin: row[1] ?? "",
                type: row[2] ?? "",
                database: row[3] ?? "",
                active: row[4] == "true",
                confirmedFlush: row[5] ?? "-",
                retainedBytes: row[6].flatMap { Int64($0) },
                failover: hasFailover ? row[7] == "true" : nil,
                synced: hasFailover ? row[8] == "true" : nil
            )
        }
    }
}
