import AsyncAlgorithms
public import Logging

/// The events of a ``ChangeDataCapture`` as an `AsyncSequence`, for those who prefer a loop to a handler.
///
/// Backpressured: the pipeline waits for each event to be taken before it reads on.
///
/// - Important: acknowledgement is always explicit here: call ``Acknowledgement/acknowledge()`` on a commit
///   once your output of it is durable. Nothing is acknowledged by iterating.
public struct CDCEventSequence: AsyncSequence, Sendable {
    public typealias Element = CDCEvent
    let channel: AsyncThrowingChannel<CDCEvent, any Error>

    /// Creates the iterator.
    public func makeAsyncIterator() -> Iterator {
        Iterator(base: self.channel.makeAsyncIterator())
    }

    /// Iterates the events.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingChannel<CDCEvent, any Error>.Iterator

        /// The next event; `nil` once the pipeline stopped (end LSN reached, or stopped).
        /// - Throws: ``CDCError``.
        public mutating func next() async throws -> CDCEvent? {
            try await self.base.next()
        }
    }
}

extension ChangeDataCapture {
    /// Runs a pipeline and hands its events to `body` as a sequence; stops the pipeline when `body` returns.
    ///
    /// ```swift
    /// try await ChangeDataCapture.withEvents(configuration: config, logger: logger) { events in
    ///     for try await event in events {
    ///         if case .commit(_, let ack) = event { ack.acknowledge() }
    ///     }
    /// }
    /// ```
    /// - Parameters:
    ///   - configuration: what to stream (its acknowledgement mode is set to explicit).
    ///   - logger: logs at info and below.
    ///   - body: consumes the events.
    /// - Returns: what `body` returns.
    /// - Throws: ``CDCError`` from the pipeline, or what `body` throws.
    public static func withEvents<Result: Sendable>(
        configuration: CDCConfiguration,
        logger: Logger,
        _ body: (CDCEventSequence) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration
        configuration.acknowledgement = .explicit
        let channel = AsyncThrowingChannel<CDCEvent, any Error>()
        let pipeline = ChangeDataCapture(
            configuration: configuration,
            handler: ForwardingHandler(channel: channel),
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await pipeline.run()
                    channel.finish()
                } catch {
                    channel.fail(error)
                }
            }
            do {
                let result = try await body(CDCEventSequence(channel: channel))
                pipeline.requestStop()
                channel.finish()
                try await group.waitForAll()
                return result
            } catch {
                pipeline.requestStop()
                channel.finish()
                group.cancelAll()
                throw error
            }
        }
    }
}

/// Sends every event into a channel.
private struct ForwardingHandler: ChangeHandler {
    let channel: AsyncThrowingChannel<CDCEvent, any Error>

    func slotCreated(_ slot: SlotCreation) async throws { await self.channel.send(.slotCreated(slot)) }
    func relation(_ table: TableSchema) async throws { await self.channel.send(.relation(table)) }
    func begin(_ transaction: TransactionInfo) async throws { await self.channel.send(.begin(transaction)) }
    func change(_ event: ChangeEvent) async throws { await self.channel.send(.change(event)) }
    func commit(_ commit: CommittedTransaction, acknowledgement: Acknowledgement) async throws {
        await self.channel.send(.commit(commit, acknowledgement))
    }
    func other(_ event: CDCEvent) async throws { await self.channel.send(event) }
}
