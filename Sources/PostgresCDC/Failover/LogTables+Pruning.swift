import Foundation
public import Logging
public import PostgresNIO
import PostgresWire

extension LogTables {
    /// Records an acknowledgement on the server: writes the slot's row of the checkpoint table and deletes the log
    /// entries of the acknowledged transactions, in one transaction.
    ///
    /// Both commit together, so a standby gets both or neither: there is never a pruned log without the checkpoint
    /// that explains it. An entry is deleted only when its transaction is in `transactions`, so an entry of a
    /// transaction that was not acknowledged is never removed, whatever the positions or clocks say.
    ///
    /// The 32-bit xids pgoutput reports are widened to the `xid8` the log stores with the server's current epoch
    /// (the previous one for an xid above the next xid).
    ///
    /// - Important: pass every transaction acknowledged since the previous call. A transaction whose xid is never
    ///   passed keeps its entries, and they are recovered (delivered again, flagged) after a failover.
    /// - Parameters:
    ///   - checkpoint: the consumer's new checkpoint (the last acknowledged commit).
    ///   - transactions: the xids (as pgoutput reports them) of the transactions acknowledged since the last call.
    ///   - connection: a SQL connection to the primary.
    ///   - logger: for the statements.
    /// - Returns: the number of log entries deleted.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/failover`` when the transaction fails; then neither the
    ///   checkpoint nor the pruning happened.
    @discardableResult
    public func acknowledge(
        _ checkpoint: Checkpoint,
        transactions: some Collection<UInt32>,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        let xids = Array(transactions)
        do {
            return try await connection.withTransaction(logger: logger) { connection in
                let next = try await Self.nextTransactionID(on: connection, logger: logger)
                let full = xids.compactMap { Self.fullTransactionID(xid: $0, next: next) }.map { Int64($0) }
                let checkpointXID = checkpoint.xid.flatMap { Self.fullTransactionID(xid: $0, next: next) }
                try await self.writeCheckpoint(checkpoint, fullXID: checkpointXID, on: connection, logger: logger)
                guard !full.isEmpty else { return 0 }
                let log = self.qualified(Self.logTableName)
                let deleted = try await connection.query(
                    """
                    WITH deleted AS (
                        DELETE FROM \(unescaped: log)
                        WHERE xid = ANY(ARRAY(SELECT x::text::pg_catalog.xid8 FROM unnest(\(full)::int8[]) AS x))
                        RETURNING 1
                    )
                    SELECT count(*)::int8 FROM deleted
                    """,
                    logger: logger
                )
                var count = 0
                for try await value in deleted.decode(Int64.self) { count = Int(value) }
                return count
            }
        } catch let error as PostgresTransactionError {
            throw Self.cdcError(error.closureError ?? error.commitError ?? error.beginError ?? error, "acknowledge")
        }
    }

    /// Reads a slot's checkpoint row from the server (written by ``acknowledge(_:transactions:on:logger:)``).
    /// - Parameters:
    ///   - slot: the slot.
    ///   - connection: a SQL connection.
    ///   - logger: for the query.
    /// - Returns: the checkpoint, or `nil` when there is none (or the log tables are not installed).
    /// - Throws: ``CDCError`` with code ``CDCError/Code/failover`` when the query fails.
    public func serverCheckpoint(
        slot: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Checkpoint? {
        do {
            let table = self.qualified(Self.checkpointTableName)
            let exists = try await connection.query(
                "SELECT pg_catalog.to_regclass(\(table)) IS NOT NULL",
                logger: logger
            )
            for try await present in exists.decode(Bool.self) where !present { return nil }
            let rows = try await connection.query(
                """
                SELECT system_id, timeline, lsn::text, (xid::text)::int8, commit_time, updated_at
                FROM \(unescaped: table) WHERE slot = \(slot)
                """,
                logger: logger
            )
            for try await (systemID, timeline, lsn, xid, commitTime, updatedAt) in rows.decode(
                (String, Int64, String, Int64?, Date?, Date).self
            ) {
                guard let position = LSN(lsn) else {
                    throw CDCError(.checkpoint, "the server's checkpoint holds an invalid LSN \(lsn)", slot: slot)
                }
                return Checkpoint(
                    slot: slot,
                    systemID: systemID,
                    timeline: UInt32(truncatingIfNeeded: timeline),
                    lsn: position,
                    xid: xid.map { UInt32(truncatingIfNeeded: $0) },
                    commitTime: commitTime,
                    updatedAt: updatedAt
                )
            }
            return nil
        } catch {
            throw Self.cdcError(error, "reading the checkpoint")
        }
    }

    private func writeCheckpoint(
        _ checkpoint: Checkpoint,
        fullXID: UInt64?,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let table = self.qualified(Self.checkpointTableName)
        let xid = fullXID.map { String($0) }
        try await connection.query(
            """
            INSERT INTO \(unescaped: table) (slot, system_id, timeline, lsn, xid, commit_time, updated_at)
            VALUES (\(checkpoint.slot), \(checkpoint.systemID), \(Int64(checkpoint.timeline)),
                    \(checkpoint.lsn.description)::pg_catalog.pg_lsn, \(xid)::pg_catalog.xid8, \(checkpoint.commitTime),
                    \(checkpoint.updatedAt))
            ON CONFLICT (slot) DO UPDATE SET system_id = excluded.system_id, timeline = excluded.timeline,
                lsn = excluded.lsn, xid = excluded.xid, commit_time = excluded.commit_time,
                updated_at = excluded.updated_at
            """,
            logger: logger
        )
    }

    /// The next transaction id to be assigned (`xid8`), without assigning one.
    static func nextTransactionID(on connection: PostgresConnection, logger: Logger) async throws -> UInt64 {
        let rows = try await connection.query(
            "SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text",
            logger: logger
        )
        for try await text in rows.decode(String.self) {
            if let value = UInt64(text) { return value }
        }
        throw CDCError(.failover, "the server did not report its next transaction id")
    }
}
