public import Foundation
public import PostgresWire

/// Everything the stream delivers, in stream order.
public enum CDCEvent: Sendable {
    /// A transaction begins.
    case begin(TransactionInfo)
    /// A change within the current transaction (or a non-transactional message).
    case change(ChangeEvent)
    /// The transaction committed. Acknowledge it with ``Acknowledgement/acknowledge()`` (explicit mode) once
    /// your output is durable.
    case commit(CommittedTransaction, Acknowledgement)
    /// A table's layout (sent before its first change and after every schema change).
    case relation(TableSchema)
    /// A streamed transaction (or one of its subtransactions) was rolled back: discard its changes
    /// (`subtransactionID == xid` means the whole transaction).
    case streamAbort(xid: UInt32, subtransactionID: UInt32)
    /// With two-phase decoding: the transaction was prepared (`PREPARE TRANSACTION`); its changes were
    /// delivered, but it may still be rolled back. The outcome follows as ``preparedOutcome(xid:gid:committed:_:)``.
    case prepared(CommittedTransaction, gid: String, Acknowledgement)
    /// With two-phase decoding: a prepared transaction was committed or rolled back.
    case preparedOutcome(xid: UInt32, gid: String, committed: Bool, Acknowledgement)
    /// After a failover to a new timeline: these transactions were delivered from the old primary but the new
    /// one forked before them (asynchronous replication lost them on promotion): they no longer exist. Reconcile
    /// downstream. `forkLSN` is where the new timeline began.
    case lostInFailover(previousTimeline: UInt32, forkLSN: LSN, transactions: [DeliveredTransaction])
    /// The replication slot was created (it did not exist).
    case slotCreated(SlotCreation)
}

/// What a newly created slot offers.
public struct SlotCreation: Sendable, Hashable {
    /// The slot.
    public var slotName: String
    /// The slot streams every transaction committing after this position.
    public var consistentPoint: LSN
    /// The exported snapshot (for `SET TRANSACTION SNAPSHOT`), valid while the creating connection is idle.
    public var snapshotName: String?
    /// The output plugin.
    public var plugin: String
    /// The publications streamed.
    public var publications: [String]

    /// Creates the info.
    public init(slotName: String, consistentPoint: LSN, snapshotName: String?, plugin: String, publications: [String]) {
        self.slotName = slotName
        self.consistentPoint = consistentPoint
        self.snapshotName = snapshotName
        self.plugin = plugin
        self.publications = publications
    }
}

/// Acknowledges one delivered transaction: its end position may then be reported as flushed.
///
/// - Important: acknowledging a transaction acknowledges every transaction delivered before it. Acknowledge
///   only once your output of it is durable: after a restart, streaming resumes after the last acknowledged
///   transaction.
public struct Acknowledgement: Sendable, Hashable {
    /// The position acknowledged.
    public let position: LSN
    let acknowledger: Acknowledger?

    init(position: LSN, acknowledger: Acknowledger?) {
        self.position = position
        self.acknowledger = acknowledger
    }

    /// Acknowledges the transaction (and all before it).
    public func acknowledge() {
        self.acknowledger?.acknowledge(self.position)
    }

    public static func == (lhs: Acknowledgement, rhs: Acknowledgement) -> Bool { lhs.position == rhs.position }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.position) }
}

/// A transaction that was handed to the consumer (used to report transactions lost in a failover).
public struct DeliveredTransaction: Sendable, Hashable, Codable {
    /// The transaction id.
    public var xid: UInt32
    /// Its commit record's LSN (on `timeline`).
    public var commitLSN: LSN
    /// The end of its commit record.
    public var endLSN: LSN
    /// Its commit time.
    public var commitTime: Date
    /// The timeline it was streamed on.
    public var timeline: UInt32

    /// Creates a record.
    public init(xid: UInt32, commitLSN: LSN, endLSN: LSN, commitTime: Date, timeline: UInt32) {
        self.xid = xid
        self.commitLSN = commitLSN
        self.endLSN = endLSN
        self.commitTime = commitTime
        self.timeline = timeline
    }
}
