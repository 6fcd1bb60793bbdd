import Foundation
import Logging
import PostgresNIO
import PostgresWire

extension ChangeDataCapture {
    /// Checks the server against what we know: the checkpoint's database, and — after a failover to a new
    /// timeline — which delivered transactions the new timeline does not have (reported as
    /// ``CDCEvent/lostInFailover(previousTimeline:forkLSN:transactions:)``), resuming from where the timeline
    /// forked at the latest.
    func followFailover(
        to identity: SystemIdentification,
        on connection: ReplicationConnection,
        session: inout StreamSession
    ) async throws {
        let slot = self.configuration.slot
        if let known = session.systemID {
            guard known == identity.systemID else {
                throw CDCError(
                    .wrongDatabase,
                    "\(connection.endpoint) is a different database cluster (system identifier "
                        + "\(identity.systemID), expected \(known)): check the connection string",
                    slot: slot
                )
            }
        } else if let store = self.configuration.checkpointStore {
            let loaded: Checkpoint?
            do {
                loaded = try await store.load()
            } catch {
                throw CDCError(.checkpoint, "the checkpoint could not be read", slot: slot, underlying: error)
            }
            if let checkpoint = loaded {
                guard checkpoint.slot == slot else {
                    throw CDCError(
                        .checkpoint,
                        "the checkpoint belongs to slot \"\(checkpoint.slot)\", not \"\(slot)\": use another "
                            + "checkpoint file or the checkpoint's slot",
                        slot: slot
                    )
                }
                try checkpoint.verify(systemID: identity.systemID)
                session.checkpoint = checkpoint
                session.keeper.seed(checkpoint)
                session.timeline = checkpoint.timeline
                if self.configuration.startLSN == .zero {
                    self.acknowledger.reset(to: checkpoint.lsn)
                    session.keeper.reset(to: checkpoint.lsn)
                }
                self.logger.info(
                    "resuming from checkpoint",
                    metadata: ["pgcdc.lsn": "\(checkpoint.lsn)", "pgcdc.timeline": "\(checkpoint.timeline)"]
                )
            }
        }
        session.systemID = identity.systemID
        session.keeper.setIdentity(systemID: identity.systemID, timeline: identity.timeline)
        defer { session.timeline = identity.timeline }
        guard let previous = session.timeline, previous != identity.timeline else { return }

        // A new timeline: find where it forked from the one we streamed on.
        let history = try await connection.timelineHistory(identity.timeline)
        guard let fork = history.switchpoint(ofTimeline: previous) else {
            throw CDCError(
                .failover,
                "timeline \(identity.timeline) of \(connection.endpoint) does not descend from timeline \(previous) "
                    + "the consumer streamed on: it is not a promoted standby of that primary",
                slot: slot
            )
        }
        var lost = session.keeper.delivered(after: fork, onTimeline: previous)
        if lost.isEmpty, let checkpoint = session.checkpoint, checkpoint.timeline == previous, checkpoint.lsn > fork,
            let xid = checkpoint.xid
        {
            lost = [
                DeliveredTransaction(
                    xid: xid,
                    commitLSN: checkpoint.lsn,
                    endLSN: checkpoint.lsn,
                    commitTime: checkpoint.commitTime ?? checkpoint.updatedAt,
                    timeline: previous
                )
            ]
        }
        self.logger.info(
            "the server is on a new timeline",
            metadata: [
                "pgcdc.timeline": "\(identity.timeline)", "pgcdc.previous_timeline": "\(previous)",
                "pgcdc.fork_lsn": "\(fork)", "pgcdc.lost": "\(lost.count)",
            ]
        )
        if !lost.isEmpty {
            for transaction in lost {
                self.logger.info(
                    "delivered transaction lost in the failover: it does not exist on the new timeline",
                    metadata: [
                        "pgcdc.xid": "\(transaction.xid)", "pgcdc.lsn": "\(transaction.commitLSN)",
                        "pgcdc.timeline": "\(transaction.timeline)",
                    ]
                )
            }
            try await self.dispatch(
                .lostInFailover(previousTimeline: previous, forkLSN: fork, transactions: lost)
            )
        }
        session.keeper.forgetDelivered(onTimeline: previous, after: fork)
        if let checkpoint = session.checkpoint, checkpoint.timeline == previous, checkpoint.lsn > fork {
            // Its transaction is gone, and its xid is reused on the new timeline: recovery must not skip it.
            session.checkpoint?.xid = nil
            session.checkpoint?.commitTime = nil
        }
        let resume = min(self.acknowledger.acknowledged, fork)
        self.acknowledger.reset(to: resume)
        session.keeper.reset(to: resume)
        session.lastDelivered = min(session.lastDelivered, resume)
    }

    /// Whether the failover log tables are installed in this database.
    func logTablesInstalled(on connection: ReplicationConnection) async throws -> Bool {
        let name =
            ReplicationCommandQuoting.identifier(self.configuration.logTables.schema) + "."
            + ReplicationCommandQuoting.identifier(LogTables.logTableName)
        let result = try await connection.simpleQuery(
            "SELECT pg_catalog.to_regclass(\(ReplicationCommandQuoting.literal(name))) IS NOT NULL"
        )
        return result.first?.rows.first?.first == "t"
    }

    /// The slot is gone although we streamed from it. Recover from the log tables when they are installed;
    /// otherwise re-snapshot when allowed, or stop with an explanation.
    func recoverMissingSlot(
        on connection: ReplicationConnection,
        session: inout StreamSession,
        catalog: CatalogClient,
        logTablesInstalled: Bool
    ) async throws -> SlotOutcome {
        let slot = self.configuration.slot
        let since = self.acknowledger.acknowledged
        if self.configuration.temporarySlot {
            throw CDCError(
                .slotMissing,
                "the temporary slot \"\(slot)\" ended with its connection; changes since \(since) cannot be "
                    + "streamed again: use a permanent slot to survive reconnects",
                slot: slot,
                lsn: since
            )
        }
        if logTablesInstalled {
            try await self.recoverFromLogTables(on: connection, session: &session, catalog: catalog)
            return .stream
        }
        guard self.configuration.onMissingSlot == .resnapshot else {
            throw CDCError(
                .failover,
                "slot \"\(slot)\" does not exist on \(connection.endpoint) although this consumer streamed from it "
                    + "(up to \(since)); a new slot would silently skip every change committed since. Install the "
                    + "failover log tables (pgcdc failover install) or use a failover slot (PostgreSQL 17+) to "
                    + "recover without loss, or allow a full re-copy with --on-missing-slot=resnapshot",
                slot: slot,
                lsn: since
            )
        }
        self.logger.info("slot missing; creating it again and copying the tables", metadata: ["pgcdc.lsn": "\(since)"])
        try await self.markSlotSetupStarted(on: connection)
        let created = try await connection.createReplicationSlot(
            slot,
            snapshot: .export,
            twoPhase: self.configuration.twoPhase,
            failover: self.configuration.failoverSlot
        )
        self.acknowledger.reset(to: created.consistentPoint)
        session.keeper.reset(to: created.consistentPoint)
        session.lastDelivered = created.consistentPoint
        return try await self.slotWasCreated(created, on: connection, catalog: catalog, session: &session)
    }

    /// Creates the new slot first (its exported snapshot separates what the log holds from what the slot will
    /// stream), reads the unacknowledged log entries inside that snapshot, delivers them as recovered
    /// transactions, and leaves streaming to continue from the new slot.
    ///
    /// The new slot carries the same marker as an unfinished initial snapshot until the recovered transactions are
    /// acknowledged: when recovery fails (or the process dies) before, the next connection drops the slot and
    /// recovers again from the log, instead of streaming past what was never delivered.
    func recoverFromLogTables(
        on connection: ReplicationConnection,
        session: inout StreamSession,
        catalog: CatalogClient
    ) async throws {
        let slot = self.configuration.slot
        let started = ContinuousClock.now
        try await self.markSlotSetupStarted(on: connection)
        let created = try await connection.createReplicationSlot(
            slot,
            snapshot: .export,
            twoPhase: self.configuration.twoPhase,
            failover: self.configuration.failoverSlot
        )
        let checkpoint = session.keeper.lastCheckpoint ?? session.checkpoint
        let recovered = try await catalog.withDeadline(seconds: 300) {
            try await self.configuration.logTables.pendingTransactions(
                after: checkpoint,
                publications: self.configuration.publications,
                snapshot: created.snapshotName,
                position: created.consistentPoint,
                on: catalog.connection,
                logger: self.logger
            )
        }
        // Everything before the new slot's start is either in `recovered` or acknowledged. Positions of the
        // old slot mean nothing here: start just before the new consistent point, so that acknowledging the
        // recovered transactions (at the consistent point) is recorded and prunes their log entries.
        let base = created.consistentPoint.advanced(by: -1)
        self.acknowledger.reset(to: base)
        session.keeper.reset(to: base)
        session.lastDelivered = base
        var events = 0
        for (index, transaction) in recovered.enumerated() {
            // They all sit at the consistent point, and acknowledgements are cumulative: only the last one carries
            // it, so that acknowledging an earlier one cannot prune (or confirm) those after it.
            let position = index == recovered.count - 1 ? created.consistentPoint : base
            try await self.deliver(.begin(transaction.transaction), session: &session, catalog: catalog)
            for event in transaction.events {
                try await self.deliver(.change(event), session: &session, catalog: catalog)
            }
            events += transaction.events.count
            let commit = CommittedTransaction(
                transaction: transaction.transaction,
                commitLSN: created.consistentPoint,
                endLSN: position,
                commitTime: transaction.transaction.commitTime ?? Date(),
                eventCount: transaction.events.count
            )
            try await self.deliver(
                .commit(commit, Acknowledgement(position: position, acknowledger: self.acknowledger)),
                session: &session,
                catalog: catalog
            )
        }
        if recovered.isEmpty || self.acknowledger.acknowledged >= created.consistentPoint {
            try await self.dropSentinel(on: connection)
        } else {
            self.logger.info(
                "the recovered transactions are not acknowledged yet: the slot stays marked, and a reconnect before they are recovers them again",
                metadata: ["pgcdc.lsn": "\(created.consistentPoint)"]
            )
        }
        let elapsed = started.duration(to: .now)
        self.logger.info(
            "recovered missed changes from the log tables",
            metadata: [
                "pgcdc.transactions": "\(recovered.count)", "pgcdc.events": "\(events)",
                "pgcdc.lsn": "\(created.consistentPoint)", "pgcdc.duration": "\(elapsed)",
            ]
        )
    }
}
