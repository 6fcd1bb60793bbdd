/// Receives the stream: implement the callbacks you need; the others do nothing.
///
/// Callbacks are called one at a time, in stream order; the next message is not read until a callback
/// returns (that is the backpressure). A callback that throws stops the stream; nothing of the failing
/// transaction is acknowledged.
///
/// - Important: with ``CDCConfiguration/AcknowledgementMode/afterCommitHandler`` (the default) a transaction is
///   acknowledged when ``commit(_:acknowledgement:)`` returns: make your output durable before returning. With
///   ``CDCConfiguration/AcknowledgementMode/explicit`` call ``Acknowledgement/acknowledge()`` yourself later.
/// - Important: when the connection breaks in the middle of a transaction (the server died, a failover), the
///   pipeline reconnects and the server sends that transaction again, from its ``begin(_:)``. A `begin` that
///   follows a `begin` without its `commit` means: drop what you kept of the unfinished one. Keep a transaction's
///   changes until its commit (or write them idempotently), and nothing is seen twice.
public protocol ChangeHandler: Sendable {
    /// The slot did not exist and was created. Runs while the slot's exported snapshot is valid: read existing
    /// rows in it here (`SET TRANSACTION SNAPSHOT`) if you do your own initial copy.
    /// - Parameter slot: the slot, its consistent point and snapshot.
    /// - Throws: anything, to stop.
    func slotCreated(_ slot: SlotCreation) async throws
    /// A table's layout, before its first change and after every schema change.
    /// - Parameter table: the schema.
    /// - Throws: anything, to stop.
    func relation(_ table: TableSchema) async throws
    /// A transaction begins.
    /// - Parameter transaction: its id, commit LSN and time.
    /// - Throws: anything, to stop.
    func begin(_ transaction: TransactionInfo) async throws
    /// A change.
    /// - Parameter event: the change.
    /// - Throws: anything, to stop.
    func change(_ event: ChangeEvent) async throws
    /// A transaction committed.
    /// - Parameters:
    ///   - commit: the commit.
    ///   - acknowledgement: acknowledges it (explicit mode).
    /// - Throws: anything, to stop (the transaction is then not acknowledged).
    func commit(_ commit: CommittedTransaction, acknowledgement: Acknowledgement) async throws
    /// Any other event (stream aborts, two-phase events).
    /// - Parameter event: the event.
    /// - Throws: anything, to stop.
    func other(_ event: CDCEvent) async throws
}

extension ChangeHandler {
    /// Does nothing.
    public func slotCreated(_ slot: SlotCreation) async throws {}
    /// Does nothing.
    public func relation(_ table: TableSchema) async throws {}
    /// Does nothing.
    public func begin(_ transaction: TransactionInfo) async throws {}
    /// Does nothing.
    public func change(_ event: ChangeEvent) async throws {}
    /// Does nothing.
    public func commit(_ commit: CommittedTransaction, acknowledgement: Acknowledgement) async throws {}
    /// Does nothing.
    public func other(_ event: CDCEvent) async throws {}

    /// Calls the callback for `event`.
    func dispatch(_ event: CDCEvent) async throws {
        switch event {
        case .begin(let transaction): try await self.begin(transaction)
        case .change(let change): try await self.change(change)
        case .commit(let commit, let acknowledgement): try await self.commit(commit, acknowledgement: acknowledgement)
        case .relation(let table): try await self.relation(table)
        case .slotCreated(let slot): try await self.slotCreated(slot)
        case .streamAbort, .prepared, .preparedOutcome, .lostInFailover: try await self.other(event)
        }
    }
}
