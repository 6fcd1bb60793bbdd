public import Logging
public import PostgresNIO
import PostgresWire

extension LogTables {
    /// The statements that let a consumer role use the log tables: `USAGE` on ``schema``, `SELECT, DELETE` on the
    /// log (recovery reads it, acknowledgement prunes it) and `SELECT, INSERT, UPDATE` on the checkpoint table.
    /// Identifiers are quoted.
    /// - Parameter role: the consumer's role.
    /// - Returns: the `GRANT` statements, in order.
    public func grantStatements(to role: String) -> [String] {
        let grantee = ReplicationCommandQuoting.identifier(role)
        return [
            "GRANT USAGE ON SCHEMA \(ReplicationCommandQuoting.identifier(self.schema)) TO \(grantee)",
            "GRANT SELECT, DELETE ON \(self.qualified(Self.logTableName)) TO \(grantee)",
            "GRANT SELECT, INSERT, UPDATE ON \(self.qualified(Self.checkpointTableName)) TO \(grantee)",
        ]
    }

    /// Grants a consumer role what it needs on installed log tables (see ``grantStatements(to:)``), in one
    /// transaction.
    /// - Parameters:
    ///   - role: the consumer's role (it streams with it; the writers need nothing, the trigger function is
    ///     `SECURITY DEFINER`).
    ///   - connection: a SQL connection to the primary, as the log tables' owner or a superuser.
    ///   - logger: for the statements.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/failover`` when a statement fails (for example when the log
    ///   tables are not installed or the role does not exist).
    public func grant(to role: String, on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in self.grantStatements(to: role) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
        } catch let error as PostgresTransactionError {
            throw Self.cdcError(error.closureError ?? error.commitError ?? error.beginError ?? error, "grant")
        }
        logger.info(
            "granted the failover log tables",
            metadata: ["pgcdc.schema": "\(self.schema)", "db.role": "\(role)"]
        )
    }
}
