import Logging

/// The CopyBoth stream of `START_REPLICATION`: XLogData and keepalives, in the order the server sent them.
///
/// Reading is backpressured: while the consumer does not call `next()`, the socket stops being read once the
/// configured number of messages is buffered. Standby status updates keep going on their timer meanwhile, and
/// a keepalive asking for a reply is answered as soon as it is read, so a slow consumer does not hit
/// `wal_sender_timeout`.
///
/// - Important: nothing is acknowledged by reading. Call ``ReplicationFeedback/acknowledge(_:immediately:)``
///   (``ReplicationConnection/feedback``) once the data up to a position is durable on your side.
public struct ReplicationStream: AsyncSequence {
    public typealias Element = ReplicationMessage

    let connection: ReplicationConnection
    /// The slot being streamed.
    public let slot: String
    /// The position streaming started from.
    public let startLSN: LSN

    /// Creates the iterator. Iterate once.
    public func makeAsyncIterator() -> Iterator {
        Iterator(connection: self.connection, slot: self.slot)
    }

    /// Iterates the stream's messages.
    public struct Iterator: AsyncIteratorProtocol {
        let connection: ReplicationConnection
        let slot: String

        /// The next message, or `nil` when the server ended the stream cleanly.
        /// - Throws: ``PostgresWireError``: the server's error (for example the slot was dropped or the
        ///   walsender was terminated) or a connection failure.
        public mutating func next() async throws -> ReplicationMessage? {
            guard self.connection.isStreaming else { return nil }
            // Messages arrive in batches; the rest of a batch waits on the connection, not in this iterator, so
            // that a new iterator over the same stream goes on where the last one stopped.
            if let buffered = self.connection.nextBufferedReplication() { return buffered }
            while true {
                switch try await self.connection.receive() {
                case .replication(let messages):
                    self.connection.bufferReplication(messages)
                    guard let first = self.connection.nextBufferedReplication() else { continue }
                    return first
                case .stopRequested:
                    return .stopRequested
                case .backend(.errorResponse(let fields)):
                    self.connection.isStreaming = false
                    throw self.connection.error(
                        .server,
                        "the replication stream of slot \(self.slot) failed",
                        slot: self.slot,
                        serverFields: fields
                    )
                case .backend(.copyDone):
                    // The server ended the stream; finish the command.
                    self.connection.isStreaming = false
                    try await self.connection.send(.copyDone)
                    try await self.connection.drainUntilReady(slot: self.slot)
                    return nil
                case .backend(.noticeResponse), .backend(.parameterStatus):
                    continue
                case .backend(let other):
                    throw self.connection.error(
                        .protocolViolation,
                        "unexpected \(other) in the replication stream",
                        slot: self.slot
                    )
                }
            }
        }
    }

    /// Ends the stream: a last status update (with what was acknowledged), CopyDone, then waits for the server
    /// to finish the command. The connection can run commands again afterwards.
    /// - Throws: ``PostgresWireError``.
    public func stop() async throws(PostgresWireError) {
        guard self.connection.isStreaming else { return }
        self.connection.isStreaming = false
        self.connection.bufferReplication([])
        try await self.connection.send(.copyDone)
        try await self.connection.drainUntilReady(slot: self.slot)
    }
}

extension ReplicationConnection {
    /// `START_REPLICATION SLOT name LOGICAL lsn (options)`.
    ///
    /// - Parameters:
    ///   - slot: the logical slot.
    ///   - startLSN: where to start; `0/0` means where the slot's `confirmed_flush_lsn` stands. The server
    ///     never goes back before the slot's position, and skips transactions that committed before `startLSN`.
    ///   - options: plugin options, for pgoutput for example `("proto_version", "1")` and
    ///     `("publication_names", ReplicationCommandQuoting.publicationNames(["pub"]))`. Values are quoted here.
    /// - Returns: the stream.
    /// - Throws: ``PostgresWireError``: `.server` when the slot does not exist (42704), is active elsewhere
    ///   (55006), or an option is refused.
    public func startReplication(
        slot: String,
        startLSN: LSN = .zero,
        options: [(String, String)] = []
    ) async throws(PostgresWireError) -> ReplicationStream {
        if let problem = ReplicationCommandQuoting.slotNameProblem(slot) {
            throw self.error(.invalidArgument, problem, slot: slot)
        }
        guard !self.isStreaming else {
            throw self.error(.invalidArgument, "a replication stream is already open", slot: slot)
        }
        var command = "START_REPLICATION SLOT \(ReplicationCommandQuoting.identifier(slot)) LOGICAL \(startLSN)"
        if !options.isEmpty {
            let list = options.map {
                "\(ReplicationCommandQuoting.identifier($0.0)) \(ReplicationCommandQuoting.literal($0.1))"
            }
            command += " (\(list.joined(separator: ", ")))"
        }
        await self.expectStream(startLSN: startLSN)
        try await self.send(.query(command))
        var serverError: PostgresWireError.ServerFields?
        while true {
            switch try await self.receiveBackend() {
            case .copyBothResponse:
                self.isStreaming = true
                self.bufferReplication([])
                self.logger.info(
                    "replication started",
                    metadata: ["pgcdc.slot": "\(slot)", "pgcdc.lsn": "\(startLSN)"]
                )
                return ReplicationStream(connection: self, slot: slot, startLSN: startLSN)
            case .errorResponse(let fields):
                serverError = fields
            case .readyForQuery:
                throw self.error(
                    .server,
                    "START_REPLICATION for slot \(slot) failed",
                    slot: slot,
                    lsn: startLSN,
                    serverFields: serverError
                )
            case let other:
                throw self.error(.protocolViolation, "unexpected \(other) after START_REPLICATION", slot: slot)
            }
        }
    }

    /// After CopyDone: skip what is still in flight until ReadyForQuery.
    func drainUntilReady(slot: String) async throws(PostgresWireError) {
        var serverError: PostgresWireError.ServerFields?
        while true {
            switch try await self.receive() {
            case .replication, .stopRequested, .backend(.copyData), .backend(.copyDone), .backend(.commandComplete),
                .backend(.noticeResponse), .backend(.parameterStatus):
                continue
            case .backend(.errorResponse(let fields)):
                serverError = fields
            case .backend(.readyForQuery):
                if let serverError {
                    throw self.error(
                        .server,
                        "ending the replication stream failed",
                        slot: slot,
                        serverFields: serverError
                    )
                }
                return
            case .backend(let other):
                throw self.error(.protocolViolation, "unexpected \(other) while ending the stream", slot: slot)
            }
        }
    }
}
