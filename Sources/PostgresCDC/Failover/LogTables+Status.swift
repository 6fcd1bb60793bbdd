public import Foundation
public import Logging
public import PostgresNIO

extension LogTables {
    /// The state of the log tables for one publication: what `pgcdc failover status` and `pgcdc doctor` print.
    public struct Status: Sendable, Hashable {
        /// Whether the log table and the trigger function exist.
        public var isInstalled: Bool
        /// The publication's tables (without the log tables themselves).
        public var publishedTables: [PublishedTable]
        /// Published tables that lack an enabled log trigger (row or truncate): their changes cannot be recovered.
        public var tablesWithoutTriggers: [PublishedTable]
        /// The number of entries in the log.
        public var entryCount: Int64
        /// The number of transactions in the log.
        public var transactionCount: Int64
        /// The log table's size on disk, with indexes and TOAST, in bytes.
        public var sizeInBytes: Int64
        /// When the oldest entry was written, or `nil` when the log is empty.
        public var oldestEntry: Date?
        /// Whether the server records commit timestamps (`track_commit_timestamp`); recovered transactions are
        /// ordered by commit time only when it is on.
        public var tracksCommitTimestamps: Bool

        /// Creates a status.
        public init(
            isInstalled: Bool,
            publishedTables: [PublishedTable],
            tablesWithoutTriggers: [PublishedTable],
            entryCount: Int64,
            transactionCount: Int64,
            sizeInBytes: Int64,
            oldestEntry: Date?,
            tracksCommitTimestamps: Bool
        ) {
            self.isInstalled = isInstalled
            self.publishedTables = publishedTables
            self.tablesWithoutTriggers = tablesWithoutTriggers
            self.entryCount = entryCount
            self.transactionCount = transactionCount
            self.sizeInBytes = sizeInBytes
            self.oldestEntry = oldestEntry
            self.tracksCommitTimestamps = tracksCommitTimestamps
        }

        /// What stands in the way of a lossless recovery, one actionable sentence each; empty when ready.
        public var problems: [String] {
            var problems: [String] = []
            if !self.isInstalled {
                problems.append("the failover log tables are not installed: run `pgcdc failover install`")
            } else if !self.tablesWithoutTriggers.isEmpty {
                let names = self.tablesWithoutTriggers.map(\.description).joined(separator: ", ")
                problems.append(
                    "published tables without an enabled log trigger (run `pgcdc failover install` again): \(names)"
                )
            }
            if !self.tracksCommitTimestamps {
                problems.append(
                    "track_commit_timestamp is off: recovered transactions are ordered by their last change, not "
                        + "by commit time; set track_commit_timestamp = on (needs a restart)"
                )
            }
            return problems
        }
    }

    /// Checks the log tables for a publication: installed, triggers present and enabled on every published table,
    /// log size, oldest entry, and `track_commit_timestamp`.
    /// - Parameters:
    ///   - publication: the publication.
    ///   - connection: a SQL connection (to the primary or a standby).
    ///   - logger: for the queries.
    /// - Returns: the status.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/publicationMissing`` when the publication does not exist,
    ///   ``CDCError/Code/failover`` when a query fails.
    public func status(publication: String, on connection: PostgresConnection, logger: Logger) async throws -> Status {
        do {
            return try await self.readStatus(publication: publication, on: connection, logger: logger)
        } catch {
            throw Self.cdcError(error, "status")
        }
    }

    private func readStatus(
        publication: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Status {
        let tables = try await self.publishedTables(publication, on: connection, logger: logger)
        let settings = try await connection.query(
            """
            SELECT pg_catalog.current_setting('track_commit_timestamp')::bool,
                   pg_catalog.to_regclass(\(self.qualified(Self.logTableName))) IS NOT NULL,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                           WHERE n.nspname = \(self.schema) AND p.proname = \(Self.functionName))
            """,
            logger: logger
        )
        var tracks = false
        var installed = false
        for try await (trackCommitTimestamp, hasLog, hasFunction) in settings.decode((Bool, Bool, Bool).self) {
            tracks = trackCommitTimestamp
            installed = hasLog && hasFunction
        }
        guard installed else {
            return Status(
                isInstalled: false,
                publishedTables: tables,
                tablesWithoutTriggers: tables,
                entryCount: 0,
                transactionCount: 0,
                sizeInBytes: 0,
                oldestEntry: nil,
                tracksCommitTimestamps: tracks
            )
        }
        // A table is covered when it has both of our triggers, calling our function, not disabled.
        let covered = try await connection.query(
            """
            SELECT t.tgrelid::int8
            FROM pg_catalog.pg_trigger t
            JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
            JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = \(self.schema) AND p.proname = \(Self.functionName) AND t.tgenabled <> 'D'
              AND t.tgname IN (\(self.rowTriggerName), \(self.truncateTriggerName))
            GROUP BY t.tgrelid
            HAVING count(*) = 2
            """,
            logger: logger
        )
        var coveredIDs = Set<UInt32>()
        for try await oid in covered.decode(Int64.self) { coveredIDs.insert(UInt32(truncatingIfNeeded: oid)) }
        let log = self.qualified(Self.logTableName)
        let sizes = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT count(*)::int8, count(DISTINCT xid)::int8,
                           pg_catalog.pg_total_relation_size('\(log.replacingOccurrences(of: "'", with: "''"))')::int8,
                           min(logged_at)
                    FROM \(log)
                    """
            ),
            logger: logger
        )
        var status = Status(
            isInstalled: true,
            publishedTables: tables,
            tablesWithoutTriggers: tables.filter { !coveredIDs.contains($0.relationID) },
            entryCount: 0,
            transactionCount: 0,
            sizeInBytes: 0,
            oldestEntry: nil,
            tracksCommitTimestamps: tracks
        )
        for try await (count, transactions, size, oldest) in sizes.decode((Int64, Int64, Int64, Date?).self) {
            status.entryCount = count
            status.transactionCount = transactions
            status.sizeInBytes = size
            status.oldestEntry = oldest
        }
        return status
    }
}
