/// A transaction read back from the failover log tables: the changes a consumer had not acknowledged when its
/// slot was lost.
///
/// Its events are the ``ChangeEvent``s the stream would have delivered (same table schema, column names and
/// values), with ``ChangeEvent/isRecovered`` set.
public struct RecoveredTransaction: Sendable {
    /// The full 64-bit transaction id (`xid8`).
    public var fullTransactionID: UInt64
    /// The transaction as the events carry it: the 32-bit xid (as pgoutput reports it), no commit LSN (a trigger
    /// cannot know it), and the commit time when `track_commit_timestamp` is on.
    public var transaction: TransactionInfo
    /// The changes, in the order they were made.
    public var events: [ChangeEvent]

    /// Creates a recovered transaction.
    /// - Parameters:
    ///   - fullTransactionID: the `xid8`.
    ///   - transaction: the transaction info the events carry.
    ///   - events: the changes.
    public init(fullTransactionID: UInt64, transaction: TransactionInfo, events: [ChangeEvent]) {
        self.fullTransactionID = fullTransactionID
        self.transaction = transaction
        self.events = events
    }
}
