public import Logging
public import PostgresNIO
import PostgresWire

extension LogTables {
    /// A published table that log triggers were installed on.
    public struct PublishedTable: Sendable, Hashable, CustomStringConvertible {
        /// The table's OID.
        public var relationID: UInt32
        /// The table's schema.
        public var namespace: String
        /// The table's name.
        public var name: String

        /// Creates a table reference.
        /// - Parameters:
        ///   - relationID: the table's OID.
        ///   - namespace: its schema.
        ///   - name: its name.
        public init(relationID: UInt32, namespace: String, name: String) {
            self.relationID = relationID
            self.namespace = namespace
            self.name = name
        }

        /// `schema.name`, quoted where needed.
        public var description: String { "\(TableSchema.quoteIfNeeded(namespace)).\(TableSchema.quoteIfNeeded(name))" }
    }

    /// Creates (or updates) the log schema, tables and trigger function, and the triggers on every table of a
    /// publication. Idempotent: run it again after adding tables to the publication.
    ///
    /// Runs in one transaction: either every table gets its triggers or none does. Tables in ``schema`` itself are
    /// never instrumented (a publication `FOR ALL TABLES` includes them).
    /// - Parameters:
    ///   - publication: the publication whose tables to log.
    ///   - connection: a SQL connection to the primary, as a role that may create the schema and own triggers on
    ///     the tables (the tables' owner or a superuser).
    ///   - logger: for the statements.
    /// - Returns: the tables that have the triggers now.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/publicationMissing`` when the publication does not exist,
    ///   ``CDCError/Code/failover`` when a statement fails (for example for lack of privilege).
    @discardableResult
    public func install(
        publication: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [PublishedTable] {
        do {
            return try await connection.withTransaction(logger: logger) { connection in
                for statement in self.setupStatements() {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let tables = try await self.publishedTables(publication, on: connection, logger: logger)
                for table in tables {
                    for statement in self.triggerStatements(for: table) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                }
                logger.info(
                    "installed failover log triggers",
                    metadata: ["pgcdc.publication": "\(publication)", "pgcdc.tables": "\(tables.count)"]
                )
                return tables
            }
        } catch let error as PostgresTransactionError {
            throw Self.cdcError(error.closureError ?? error.commitError ?? error.beginError ?? error, "install")
        }
    }

    /// Removes the triggers, the log, the checkpoint table and the trigger function: drops ``schema`` with
    /// everything in it. Idempotent.
    ///
    /// - Important: pending entries are lost: a consumer that has not caught up can no longer recover from a
    ///   failover.
    /// - Parameters:
    ///   - connection: a SQL connection to the primary.
    ///   - logger: for the statements.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/failover`` when the statement fails.
    public func uninstall(on connection: PostgresConnection, logger: Logger) async throws {
        do {
            // The triggers depend on the function: CASCADE drops them on every table.
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "DROP SCHEMA IF EXISTS \(ReplicationCommandQuoting.identifier(self.schema)) CASCADE"
                ),
                logger: logger
            )
        } catch {
            throw Self.cdcError(error, "uninstall")
        }
        logger.info("removed failover log tables", metadata: ["pgcdc.schema": "\(self.schema)"])
    }

    /// The tables of a publication, without our own.
    func publishedTables(
        _ publication: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [PublishedTable] {
        let exists = try await connection.query(
            "SELECT count(*)::int8 FROM pg_catalog.pg_publication WHERE pubname = \(publication)",
            logger: logger
        )
        for try await count in exists.decode(Int64.self) where count == 0 {
            throw CDCError(
                .publicationMissing,
                "publication \"\(publication)\" does not exist: create it before installing the failover log triggers"
            )
        }
        let rows = try await connection.query(
            """
            SELECT c.oid::int8, n.nspname::text, c.relname::text
            FROM pg_catalog.pg_publication_tables pt
            JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
            WHERE pt.pubname = \(publication) AND pt.schemaname <> \(self.schema)
            ORDER BY 2, 3
            """,
            logger: logger
        )
        var tables: [PublishedTable] = []
        for try await (oid, namespace, name) in rows.decode((Int64, String, String).self) {
            tables.append(PublishedTable(relationID: UInt32(truncatingIfNeeded: oid), namespace: namespace, name: name))
        }
        return tables
    }

    /// The schema, tables and function; each statement is idempotent.
    func setupStatements() -> [String] {
        let schema = ReplicationCommandQuoting.identifier(self.schema)
        let log = self.qualified(Self.logTableName)
        let checkpoint = self.qualified(Self.checkpointTableName)
        let function = self.qualified(Self.functionName)
        let xidIndex = ReplicationCommandQuoting.identifier(Self.logTableName + "_xid")
        // The function's SET clauses fix the output of date/time, interval, float and bytea values to what the
        // replication connection's session uses, whatever the writing session set.
        return [
            "CREATE SCHEMA IF NOT EXISTS \(schema)",
            """
            CREATE TABLE IF NOT EXISTS \(log) (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                xid pg_catalog.xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
                operation "char" NOT NULL CHECK (operation IN ('I', 'U', 'D', 'T')),
                relid pg_catalog.oid NOT NULL,
                schema_name pg_catalog.text NOT NULL,
                table_name pg_catalog.text NOT NULL,
                old_row pg_catalog.text,
                new_row pg_catalog.text,
                logged_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
            )
            """,
            "CREATE INDEX IF NOT EXISTS \(xidIndex) ON \(log) (xid)",
            """
            CREATE TABLE IF NOT EXISTS \(checkpoint) (
                slot pg_catalog.text PRIMARY KEY,
                system_id pg_catalog.text NOT NULL,
                timeline pg_catalog.int8 NOT NULL,
                lsn pg_catalog.pg_lsn NOT NULL,
                xid pg_catalog.xid8,
                commit_time pg_catalog.timestamptz,
                updated_at pg_catalog.timestamptz NOT NULL
            )
            """,
            "REVOKE ALL ON \(log), \(checkpoint) FROM PUBLIC",
            """
            CREATE OR REPLACE FUNCTION \(function)() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            SET DateStyle = 'ISO, MDY' SET TimeZone = 'UTC' SET IntervalStyle = 'postgres'
            SET extra_float_digits = 3 SET bytea_output = 'hex'
            AS $pgcdc$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO \(log) (operation, relid, schema_name, table_name, new_row)
                    VALUES ('I', TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, NEW::text);
                ELSIF TG_OP = 'UPDATE' THEN
                    INSERT INTO \(log) (operation, relid, schema_name, table_name, old_row, new_row)
                    VALUES ('U', TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, OLD::text, NEW::text);
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO \(log) (operation, relid, schema_name, table_name, old_row)
                    VALUES ('D', TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, OLD::text);
                ELSE
                    INSERT INTO \(log) (operation, relid, schema_name, table_name)
                    VALUES ('T', TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME);
                END IF;
                RETURN NULL;
            END
            $pgcdc$
            """,
            "REVOKE ALL ON FUNCTION \(function)() FROM PUBLIC",
        ]
    }

    /// The triggers of one table, replaced if present.
    func triggerStatements(for table: PublishedTable) -> [String] {
        let target =
            "\(ReplicationCommandQuoting.identifier(table.namespace)).\(ReplicationCommandQuoting.identifier(table.name))"
        let row = ReplicationCommandQuoting.identifier(self.rowTriggerName)
        let truncate = ReplicationCommandQuoting.identifier(self.truncateTriggerName)
        let function = self.qualified(Self.functionName)
        return [
            "DROP TRIGGER IF EXISTS \(row) ON \(target)",
            "CREATE TRIGGER \(row) AFTER INSERT OR UPDATE OR DELETE ON \(target) FOR EACH ROW EXECUTE FUNCTION \(function)()",
            "ALTER TABLE \(target) ENABLE ALWAYS TRIGGER \(row)",
            "DROP TRIGGER IF EXISTS \(truncate) ON \(target)",
            "CREATE TRIGGER \(truncate) AFTER TRUNCATE ON \(target) FOR EACH STATEMENT EXECUTE FUNCTION \(function)()",
            "ALTER TABLE \(target) ENABLE ALWAYS TRIGGER \(truncate)",
        ]
    }

    static func cdcError(_ error: any Error, _ action: String) -> CDCError {
        if let error = error as? CDCError { return error }
        var reason = "failover log tables: \(action) failed"
        if let psql = error as? PSQLError, let message = psql.serverInfo?[.message] {
            reason += ": \(message)"
        }
        return CDCError(.failover, reason, underlying: error)
    }
}
