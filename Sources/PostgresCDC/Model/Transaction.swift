public import Foundation
public import PostgresWire

/// The transaction an event belongs to, as known when it begins.
public struct TransactionInfo: Sendable, Hashable {
    /// The transaction id.
    public var xid: UInt32
    /// The LSN of its commit record (`final_lsn`). With the event's index it identifies an event. For a
    /// streamed (in-progress) transaction it is `nil` until the transaction commits.
    public var commitLSN: LSN?
    /// When it committed (PostgreSQL's clock). `nil` for a streamed transaction until it commits.
    public var commitTime: Date?
    /// The replication origin it came from, when it was replayed by another replication.
    public var origin: String?
    /// True for a transaction streamed while still running (`streaming` on): its changes may still be rolled back.
    public var isStreamed: Bool
    /// For a streamed change made in a subtransaction (after a `SAVEPOINT`): the subtransaction's xid. A
    /// ``CDCEvent/streamAbort(xid:subtransactionID:)`` with this id discards exactly these changes.
    public var subtransactionID: UInt32?

    /// Creates transaction info.
    public init(
        xid: UInt32,
        commitLSN: LSN?,
        commitTime: Date?,
        origin: String? = nil,
        isStreamed: Bool = false,
        subtransactionID: UInt32? = nil
    ) {
        self.subtransactionID = subtransactionID
        self.xid = xid
        self.commitLSN = commitLSN
        self.commitTime = commitTime
        self.origin = origin
        self.isStreamed = isStreamed
    }
}

/// A committed transaction: everything needed to acknowledge it.
public struct CommittedTransaction: Sendable, Hashable {
    /// The transaction.
    public var transaction: TransactionInfo
    /// The LSN of the commit record.
    public var commitLSN: LSN
    /// The end of the commit record: acknowledging this position confirms the transaction.
    public var endLSN: LSN
    /// The commit time.
    public var commitTime: Date
    /// The number of change events delivered for it.
    public var eventCount: Int

    /// Creates a commit.
    public init(transaction: TransactionInfo, commitLSN: LSN, endLSN: LSN, commitTime: Date, eventCount: Int) {
        self.transaction = transaction
        self.commitLSN = commitLSN
        self.endLSN = endLSN
        self.commitTime = commitTime
        self.eventCount = eventCount
    }
}

extension Date {
    /// A PostgreSQL timestamp (microseconds since 2000-01-01 UTC) as a `Date`.
    init(postgresMicroseconds: Int64) {
        self.init(timeIntervalSince1970: Double(postgresMicroseconds) / 1_000_000 + 946_684_800)
    }
}
