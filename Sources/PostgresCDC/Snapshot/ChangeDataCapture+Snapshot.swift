import Foundation
import Logging
import PostgresNIO
import PostgresWire

/// The initial snapshot and the marker that makes an interrupted one safe.
///
/// While a new slot is being set up (slot-created hook and copy, or a failover recovery from the log tables), a
/// physical sentinel slot named after it exists (``snapshotSentinelName(for:)``; it reserves no WAL). It is
/// dropped once the copy (or the recovery) is complete. A start that finds the logical slot together with its
/// sentinel knows the previous setup never finished (a crash, a kill, a lost connection): it drops both and starts
/// over, so that no existing row (or logged change) is skipped.
extension ChangeDataCapture {
    /// What the pipeline does once the slot is ready.
    enum SlotOutcome: Sendable, Equatable {
        /// Start streaming.
        case stream
        /// Return without streaming (initial-only mode, or a stop requested during the snapshot).
        case stop
    }

    /// The snapshot was interrupted by a stop request.
    struct SnapshotInterrupted: Error {}

    /// The name of the physical slot that marks `slot`'s setup as unfinished.
    /// - Parameter slot: the logical slot.
    /// - Returns: `pgcdc_snap_<slot>`, shortened with a hash to PostgreSQL's 63-character limit.
    static func snapshotSentinelName(for slot: String) -> String {
        let prefix = "pgcdc_snap_"
        guard prefix.count + slot.count > 63 else { return prefix + slot }
        var hash: UInt32 = 2_166_136_261
        for byte in slot.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let hex = String(hash, radix: 16)
        return prefix + slot.prefix(63 - prefix.count - 1 - hex.count) + "_" + hex
    }

    /// Decides about a slot that exists and is idle.
    /// - Returns: `nil` when the slot's setup never finished and it was dropped (create it anew), else what
    ///   to do.
    func existingSlotOutcome(on connection: ReplicationConnection) async throws -> SlotOutcome? {
        let slot = self.configuration.slot
        let sentinel = Self.snapshotSentinelName(for: slot)
        if try await self.slotExists(sentinel, on: connection) {
            self.logger.info(
                "the slot's initial snapshot never finished; dropping the slot and starting over",
                metadata: ["pgcdc.sentinel": "\(sentinel)"]
            )
            try await connection.dropReplicationSlot(slot, wait: false)
            return nil
        }
        if self.configuration.snapshot == .initialOnly {
            self.logger.info("the slot exists, so its initial snapshot was taken before; nothing to copy")
            return .stop
        }
        return .stream
    }

    /// Marks the setup of a new slot as begun (before the slot is created).
    func markSlotSetupStarted(on connection: ReplicationConnection) async throws {
        guard !self.configuration.temporarySlot else { return }
        let sentinel = Self.snapshotSentinelName(for: self.configuration.slot)
        guard try await !self.slotExists(sentinel, on: connection) else { return }
        do {
            _ = try await connection.simpleQuery(
                "CREATE_REPLICATION_SLOT \(ReplicationCommandQuoting.identifier(sentinel)) PHYSICAL"
            )
        } catch {
            throw CDCError(
                .snapshot,
                "could not create the marker slot \"\(sentinel)\" that protects the initial snapshot "
                    + "(max_replication_slots may be reached)",
                slot: self.configuration.slot,
                underlying: error
            )
        }
    }

    /// Copies the snapshot (unless the mode is `never`) and marks the setup as finished; after a failure the
    /// new slot is dropped, so that the next start copies again.
    /// - Parameters:
    ///   - created: the new slot.
    ///   - connection: the connection that created it (idle, so its snapshot stays valid).
    /// - Returns: whether to stream now.
    func finishSlotSetup(_ created: SlotCreation, on connection: ReplicationConnection) async throws -> SlotOutcome {
        let mode = self.configuration.snapshot
        if mode != .never {
            do {
                try await self.copySnapshot(created, endpoint: connection.endpoint)
            } catch {
                try? await connection.dropReplicationSlot(created.slotName, wait: false)
                try? await self.dropSentinel(on: connection)
                if error is SnapshotInterrupted || (error is CancellationError && self.stopSignal.isRequested) {
                    self.logger.info(
                        "initial snapshot interrupted; the slot was dropped and the next start copies again",
                        metadata: ["pgcdc.lsn": "\(created.consistentPoint)"]
                    )
                    return .stop
                }
                if let error = error as? CDCError { throw error }
                throw CDCError(
                    .snapshot,
                    "the initial snapshot failed; the slot was dropped and the next start copies again",
                    slot: created.slotName,
                    lsn: created.consistentPoint,
                    underlying: error
                )
            }
        }
        try await self.dropSentinel(on: connection)
        return mode == .initialOnly ? .stop : .stream
    }

    /// Marks the setup of the slot as finished.
    func dropSentinel(on connection: ReplicationConnection) async throws {
        let sentinel = Self.snapshotSentinelName(for: self.configuration.slot)
        if try await self.slotExists(sentinel, on: connection) {
            try await connection.dropReplicationSlot(sentinel, wait: false)
        }
    }

    private func slotExists(_ name: String, on connection: ReplicationConnection) async throws -> Bool {
        let result = try await connection.simpleQuery(
            "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = \(ReplicationCommandQuoting.literal(name))"
        )
        return result.first?.rows.isEmpty == false
    }

    // MARK: the copy

    /// Reads every published row inside the slot's exported snapshot and delivers it as a `read` event, in one
    /// synthetic transaction (xid 0) that commits at the slot's consistent point.
    private func copySnapshot(_ created: SlotCreation, endpoint: ConnectionSettings.Endpoint) async throws {
        guard let name = created.snapshotName, !name.isEmpty,
            name.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 < 128 && Character(Unicode.Scalar($0)).isHexDigit) })
        else {
            throw CDCError(
                .snapshot,
                "the server exported no usable snapshot for slot \"\(created.slotName)\"",
                slot: created.slotName
            )
        }
        var settings = self.configuration.connection
        settings.endpoints = [endpoint]
        var connections: [PostgresConnection] = []
        do {
            let first = try await self.openSnapshotConnection(settings: settings, endpoint: endpoint, snapshot: name)
            connections.append(first)
            let plan = try await SnapshotPlanner(
                connection: first,
                logger: self.logger,
                publications: self.configuration.publications,
                logTables: self.configuration.logTables,
                binary: self.configuration.binary,
                chunkPages: self.configuration.snapshotChunkPages,
                workers: max(1, self.configuration.snapshotWorkers)
            ).plan()
            let workers = max(1, min(self.configuration.snapshotWorkers, plan.chunks.count))
            while connections.count < workers {
                connections.append(
                    try await self.openSnapshotConnection(settings: settings, endpoint: endpoint, snapshot: name)
                )
            }
            self.logger.info(
                "initial snapshot started",
                metadata: [
                    "pgcdc.lsn": "\(created.consistentPoint)", "pgcdc.tables": "\(plan.tables.count)",
                    "pgcdc.chunks": "\(plan.chunks.count)", "pgcdc.workers": "\(workers)",
                ]
            )
            try await self.deliverSnapshot(plan, created: created, connections: connections)
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        for connection in connections { try? await connection.close() }
    }

    /// A SQL connection in a read-only REPEATABLE READ transaction that imported the snapshot, with the
    /// walsender's session settings so that text values print exactly as pgoutput prints them.
    private func openSnapshotConnection(
        settings: ConnectionSettings,
        endpoint: ConnectionSettings.Endpoint,
        snapshot: String
    ) async throws -> PostgresConnection {
        let client: CatalogClient
        do {
            client = try await CatalogClient.connect(settings: settings, endpoint: endpoint, logger: self.logger)
        } catch {
            throw CDCError(
                .snapshot,
                "could not open a SQL connection to \(endpoint) for the initial snapshot",
                slot: self.configuration.slot,
                underlying: error
            )
        }
        let connection = client.connection
        do {
            _ = try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.logger)
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT '\(snapshot)'"),
                logger: self.logger
            )
            for (name, value) in self.configuration.replication.sessionParameters {
                _ = try await connection.query(
                    "SELECT pg_catalog.set_config(\(name), \(value), true)",
                    logger: self.logger
                )
            }
        } catch {
            try? await connection.close()
            throw CDCError(
                .snapshot,
                "could not import the slot's exported snapshot \(snapshot) on \(endpoint)",
                slot: self.configuration.slot,
                underlying: error
            )
        }
        return connection
    }

    /// Hands the snapshot to the handler: begin, then per table its schema and its rows, then commit.
    private func deliverSnapshot(
        _ plan: SnapshotPlan,
        created: SlotCreation,
        connections: [PostgresConnection]
    ) async throws {
        let transaction = TransactionInfo(xid: 0, commitLSN: created.consistentPoint, commitTime: plan.snapshotTime)
        let clock = ContinuousClock()
        var tracker = SnapshotProgressTracker(plan: plan, interval: self.configuration.snapshotProgressInterval)
        var announced = Set<Int>()
        var index = 0
        let progress = self.configuration.snapshotProgress

        try await self.dispatchSnapshotEvent(.begin(transaction), created: created)
        let copier = SnapshotCopier(plan: plan, connections: connections, logger: self.logger)
        try await copier.run { batch in
            if self.stopSignal.isRequested { throw SnapshotInterrupted() }
            switch batch {
            case .chunkStarted(let table):
                tracker.chunkStarted(table, now: clock.now)
            case .rows(let table, let rows):
                let schema = plan.tables[table].schema
                if announced.insert(table).inserted {
                    try await self.dispatchSnapshotEvent(.relation(schema), created: created)
                }
                let keys = schema.keyColumnIndexes
                for row in rows {
                    let key =
                        keys.isEmpty
                        ? nil
                        : Row(
                            columns: keys.map { schema.columns[$0] },
                            values: keys.map { row.values[$0] },
                            catalog: row.catalog
                        )
                    let event = ChangeEvent(
                        operation: .read,
                        table: schema,
                        after: row,
                        key: key,
                        lsn: created.consistentPoint,
                        transaction: transaction,
                        index: index
                    )
                    index += 1
                    try await self.dispatchSnapshotEvent(.change(event), created: created)
                }
                if let report = tracker.rowsDelivered(rows.count, table: table, now: clock.now) {
                    progress?(report)
                }
            case .chunkFinished(let table, let pages):
                if let report = tracker.chunkFinished(table, pages: pages, now: clock.now) {
                    progress?(report)
                }
            }
        }
        let commit = CommittedTransaction(
            transaction: transaction,
            commitLSN: created.consistentPoint,
            endLSN: created.consistentPoint,
            commitTime: plan.snapshotTime,
            eventCount: index
        )
        let acknowledgement = Acknowledgement(position: created.consistentPoint, acknowledger: self.acknowledger)
        try await self.dispatchSnapshotEvent(.commit(commit, acknowledgement), created: created)
        if self.configuration.acknowledgement == .afterCommitHandler {
            acknowledgement.acknowledge()
        }
        self.logger.info(
            "initial snapshot complete",
            metadata: [
                "pgcdc.lsn": "\(created.consistentPoint)", "pgcdc.rows": "\(index)",
                "pgcdc.tables": "\(plan.tables.count)",
            ]
        )
    }

    private func dispatchSnapshotEvent(_ event: CDCEvent, created: SlotCreation) async throws {
        do {
            try await self.handler.dispatch(event)
        } catch {
            throw CDCError(
                .handler,
                "the change handler failed during the initial snapshot; the slot was dropped and the next start "
                    + "copies again",
                slot: created.slotName,
                lsn: created.consistentPoint,
                underlying: error
            )
        }
    }
}
