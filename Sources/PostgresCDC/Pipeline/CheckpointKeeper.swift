import Foundation
import Logging
import NIOCore
import PostgresNIO
import PostgresWire
import Synchronization

/// Makes acknowledgements durable before the server hears of them: writes the checkpoint (file store) and,
/// when log tables are installed, the server-side checkpoint row together with the pruning of the acknowledged
/// transactions' log entries. Only then is the position forwarded to the replication connection.
///
/// That order means a restart can always resume from the checkpoint: the server never confirmed more than the
/// checkpoint says.
final class CheckpointKeeper: Sendable {
    typealias Delivered = DeliveredTransaction

    private struct State {
        var identity: (systemID: String, timeline: UInt32)?
        /// Delivered, not yet persisted as acknowledged.
        var unpersisted: [Delivered] = []
        /// The last persisted ones (bounded), newest last.
        var recent: [Delivered] = []
        var persisted: LSN
        var lastXID: UInt32?
        var lastCommitTime: Date?
        var continuation: AsyncStream<LSN>.Continuation?
        var logTables: LogTables?
        var sql: PostgresConnection?
        var lastCheckpoint: Checkpoint?
    }

    static let recentLimit = 10_000

    let slot: String
    let store: (any CheckpointStore)?
    private let state: Mutex<State>

    init(slot: String, store: (any CheckpointStore)?, start: LSN) {
        self.slot = slot
        self.store = store
        self.state = Mutex(State(persisted: start))
    }

    /// The last checkpoint persisted in this run.
    var lastCheckpoint: Checkpoint? { self.state.withLock { $0.lastCheckpoint } }

    /// The server the current connection is to.
    func setIdentity(systemID: String, timeline: UInt32) {
        self.state.withLock { $0.identity = (systemID, timeline) }
    }

    /// Starts from a checkpoint loaded from the store: the next checkpoint keeps naming its transaction until a
    /// newer one is acknowledged (recovery skips it, and a failover past it reports it as lost).
    func seed(_ checkpoint: Checkpoint) {
        self.state.withLock { state in
            state.lastCheckpoint = checkpoint
            state.lastXID = checkpoint.xid
            state.lastCommitTime = checkpoint.commitTime
        }
    }

    /// A commit was handed to the consumer (acknowledged or not yet).
    func delivered(_ commit: CommittedTransaction) {
        self.state.withLock { state in
            state.unpersisted.append(
                Delivered(
                    xid: commit.transaction.xid,
                    commitLSN: commit.commitLSN,
                    endLSN: commit.endLSN,
                    commitTime: commit.commitTime,
                    timeline: state.identity?.timeline ?? 0
                )
            )
        }
    }

    /// Transactions delivered (and acknowledged or not) whose commit ends after `lsn` on `timeline`.
    func delivered(after lsn: LSN, onTimeline timeline: UInt32) -> [Delivered] {
        self.state.withLock { state in
            (state.recent + state.unpersisted).filter { $0.timeline == timeline && $0.endLSN > lsn }
        }
    }

    /// Forget what was delivered on a timeline the server left at `fork` (after reporting what it lost).
    ///
    /// A last acknowledged transaction past the fork no longer exists, and the new timeline hands its xid to
    /// another transaction: it must not stay in the checkpoint, where recovery would skip that other transaction's
    /// log entries as acknowledged.
    func forgetDelivered(onTimeline timeline: UInt32, after fork: LSN) {
        self.state.withLock { state in
            state.recent.removeAll { $0.timeline == timeline }
            state.unpersisted.removeAll { $0.timeline == timeline }
            if let checkpoint = state.lastCheckpoint, checkpoint.timeline == timeline, checkpoint.lsn > fork {
                state.lastCheckpoint?.xid = nil
                state.lastCheckpoint?.commitTime = nil
                state.lastXID = nil
                state.lastCommitTime = nil
            }
        }
    }

    /// After a failover: positions start over at the new slot's or timeline's position. Transactions delivered
    /// but not acknowledged are forgotten: their positions belong to the old slot (the new one would prune them
    /// when acknowledged past them), and they come again, from the log or the stream.
    func reset(to lsn: LSN) {
        self.state.withLock { state in
            state.persisted = lsn
            state.unpersisted.removeAll()
        }
    }

    /// Persists acknowledgements as they come and forwards them; returns when the task is cancelled.
    func run(acknowledger: Acknowledger, logTables: LogTables?, sql: PostgresConnection?, logger: Logger) async {
        let (stream, continuation) = AsyncStream<LSN>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.state.withLock { state in
            state.continuation = continuation
            state.logTables = logTables
            state.sql = sql
        }
        acknowledger.setGate { lsn in continuation.yield(lsn) }
        defer {
            acknowledger.setGate(nil)
            self.state.withLock { state in
                state.continuation = nil
                state.sql = nil
            }
        }
        // Something may have been acknowledged while no connection was open.
        let pending = acknowledger.acknowledged
        if pending > self.state.withLock({ $0.persisted }) { continuation.yield(pending) }
        for await target in stream {
            // The connection is ending: what was acknowledged is persisted by the next connection.
            if Task.isCancelled { break }
            do {
                try await self.persist(upTo: target, logTables: logTables, sql: sql, logger: logger)
                acknowledger.forward(target)
            } catch {
                logger.info(
                    "could not persist the checkpoint; the acknowledgement waits",
                    metadata: ["pgcdc.lsn": "\(target)", "error": "\(error)"]
                )
            }
        }
    }

    /// Persists and forwards everything acknowledged so far, now (before the stream's last status update).
    func flush(acknowledger: Acknowledger, logger: Logger) async {
        let (logTables, sql) = self.state.withLock { ($0.logTables, $0.sql) }
        let target = acknowledger.acknowledged
        do {
            try await self.persist(upTo: target, logTables: logTables, sql: sql, logger: logger)
            acknowledger.forward(target)
        } catch {
            logger.info("could not persist the checkpoint", metadata: ["pgcdc.lsn": "\(target)", "error": "\(error)"])
        }
    }

    /// Writes the checkpoint for everything acknowledged up to `target`.
    func persist(upTo target: LSN, logTables: LogTables?, sql: PostgresConnection?, logger: Logger) async throws {
        let (acknowledged, identity, lastXID, lastTime) = self.state.withLock {
            state -> ([Delivered], (systemID: String, timeline: UInt32)?, UInt32?, Date?) in
            let done = state.unpersisted.filter { $0.endLSN <= target }
            return (
                done, state.identity, done.last?.xid ?? state.lastXID, done.last?.commitTime ?? state.lastCommitTime
            )
        }
        guard let identity, target > self.state.withLock({ $0.persisted }) else { return }
        let checkpoint = Checkpoint(
            slot: self.slot,
            systemID: identity.systemID,
            timeline: identity.timeline,
            lsn: target,
            xid: lastXID,
            commitTime: lastTime
        )
        // A position reached without new transactions (keepalives) needs no pruning; skipping the write also
        // keeps the checkpoint row's own change from feeding an endless loop under FOR ALL TABLES.
        if let logTables, let sql, !acknowledged.isEmpty {
            guard !sql.isClosed else {
                throw CDCError(.failover, "the SQL connection is closed", slot: self.slot, lsn: target)
            }
            // A query on a connection whose server died mid-query may never complete: past the deadline the
            // connection is closed and the acknowledgement waits for the next connection.
            let xids = acknowledged.map(\.xid)
            _ = try await CatalogClient.withDeadline(seconds: 30, closing: sql) {
                try await logTables.acknowledge(checkpoint, transactions: xids, on: sql, logger: logger)
            }
        }
        try await self.store?.save(checkpoint)
        self.state.withLock { state in
            state.lastCheckpoint = checkpoint
            state.persisted = max(state.persisted, target)
            state.lastXID = lastXID
            state.lastCommitTime = lastTime
            let done = Set(acknowledged)
            state.unpersisted.removeAll { done.contains($0) }
            state.recent.append(contentsOf: acknowledged)
            if state.recent.count > Self.recentLimit {
                state.recent.removeFirst(state.recent.count - Self.recentLimit)
            }
        }
    }
}
