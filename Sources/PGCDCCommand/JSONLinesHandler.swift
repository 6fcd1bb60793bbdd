import PostgresCDC
import PostgresCDCSinks
import Synchronization

/// Writes the stream as JSON lines and acknowledges each transaction once its lines are written and synced.
///
/// Lines are buffered per transaction (written early when the buffer grows past 1 MiB), then written, synced
/// (`fsync` for a file) and acknowledged at commit. After `maxChanges` change events it writes nothing more:
/// what follows is not acknowledged and is streamed again next time.
final class JSONLinesHandler: ChangeHandler {
    private struct State {
        var encoder = JSONLinesEncoder()
        var changesWritten = 0
        var changesInTransaction = 0
        var limitReached = false
    }

    private static let flushThreshold = 1 << 20

    private let state = Mutex(State())
    private let output: OutputFile
    private let verbose: Bool
    private let maxChanges: Int?
    private let onLimitReached: @Sendable () -> Void

    /// Creates the handler.
    /// - Parameters:
    ///   - output: where lines go.
    ///   - verbose: also write begin, commit and relation lines.
    ///   - maxChanges: stop writing after this many change events (at the end of that transaction).
    ///   - onLimitReached: called once, after the transaction that reached `maxChanges` was acknowledged.
    init(output: OutputFile, verbose: Bool, maxChanges: Int?, onLimitReached: @escaping @Sendable () -> Void) {
        self.output = output
        self.verbose = verbose
        self.maxChanges = maxChanges
        self.onLimitReached = onLimitReached
    }

    /// The change events written and acknowledged so far.
    var changesWritten: Int { self.state.withLock { $0.changesWritten } }

    func relation(_ table: TableSchema) async throws {
        guard self.verbose else { return }
        self.state.withLock { state in
            guard !state.limitReached else { return }
            state.encoder.appendRelation(table)
        }
    }

    func begin(_ transaction: TransactionInfo) async throws {
        guard self.verbose else { return }
        self.state.withLock { state in
            guard !state.limitReached else { return }
            state.encoder.appendBegin(transaction)
        }
    }

    func change(_ event: ChangeEvent) async throws {
        try self.state.withLock { state in
            guard !state.limitReached else { return }
            try state.encoder.append(event)
            state.changesInTransaction += 1
            if event.transaction == nil {
                // A non-transactional message: out at once; the next commit acknowledges it.
                try self.flush(&state)
                state.changesWritten += state.changesInTransaction
                state.changesInTransaction = 0
            } else if state.encoder.count >= Self.flushThreshold {
                try self.output.write(state.encoder.bytes)
                state.encoder.removeAll()
            }
        }
    }

    func commit(_ commit: CommittedTransaction, acknowledgement: Acknowledgement) async throws {
        let reachedLimit = try self.state.withLock { state -> Bool in
            guard !state.limitReached else { return false }
            if self.verbose { state.encoder.appendCommit(commit) }
            try self.flush(&state)
            acknowledgement.acknowledge()
            state.changesWritten += state.changesInTransaction
            state.changesInTransaction = 0
            if let limit = self.maxChanges, state.changesWritten >= limit {
                state.limitReached = true
                return true
            }
            return false
        }
        if reachedLimit { self.onLimitReached() }
    }

    func other(_ event: CDCEvent) async throws {
        switch event {
        case .streamAbort(let xid, let subtransactionID):
            try self.state.withLock { state in
                guard !state.limitReached else { return }
                state.encoder.appendStreamAbort(xid: xid, subtransactionID: subtransactionID)
                try self.flush(&state)
            }
        case .lostInFailover(let timeline, let fork, let transactions):
            // Always written, whatever the limit: downstream must learn what no longer exists.
            try self.state.withLock { state in
                state.encoder.appendLost(previousTimeline: timeline, forkLSN: fork, transactions: transactions)
                try self.flush(&state)
            }
        default:
            return
        }
    }

    private func flush(_ state: inout State) throws(OutputError) {
        if state.encoder.count > 0 {
            try self.output.write(state.encoder.bytes)
            state.encoder.removeAll()
        }
        try self.output.synchronize()
    }
}
