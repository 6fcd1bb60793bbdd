import AsyncAlgorithms
import Foundation
import Logging
import PostgresNIO
import PostgresWire
import Synchronization

/// Copies the rows of a plan: several workers read chunks on their own connections (each imported the same
/// snapshot), one consumer hands the rows to the handler, one at a time, in a bounded channel.
struct SnapshotCopier {
    /// What a worker hands to the consumer.
    enum Batch: Sendable {
        /// A worker began a chunk of a table.
        case chunkStarted(tableIndex: Int)
        /// Rows of a table.
        case rows(tableIndex: Int, [Row])
        /// A worker finished a chunk.
        case chunkFinished(tableIndex: Int, pages: Int)
    }

    /// The work queue the workers share.
    final class ChunkQueue: Sendable {
        private let state: Mutex<[SnapshotChunk]>
        init(_ chunks: [SnapshotChunk]) { self.state = Mutex(chunks.reversed()) }
        func next() -> SnapshotChunk? { self.state.withLock { $0.popLast() } }
    }

    /// Rows per batch handed from a worker to the consumer; memory is bounded by workers x 2 batches.
    static let batchSize = 256

    let plan: SnapshotPlan
    let connections: [PostgresConnection]
    let logger: Logger

    /// Reads every chunk; `deliver` receives the batches one at a time, in the order they are produced.
    /// - Parameter deliver: the consumer (the only place the handler is called).
    /// - Throws: a worker's or the consumer's error; the other tasks are cancelled.
    func run(_ deliver: (Batch) async throws -> Void) async throws {
        let channel = AsyncThrowingChannel<Batch, any Error>()
        let queue = ChunkQueue(self.plan.chunks)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { workers in
                        for connection in self.connections {
                            workers.addTask { try await self.work(on: connection, queue: queue, channel: channel) }
                        }
                        try await workers.waitForAll()
                    }
                    channel.finish()
                } catch {
                    channel.fail(error)
                }
            }
            do {
                for try await batch in channel {
                    try await deliver(batch)
                }
            } catch {
                group.cancelAll()
                throw error
            }
            try await group.waitForAll()
        }
    }

    /// One worker: takes chunks until none is left.
    private func work(
        on connection: PostgresConnection,
        queue: ChunkQueue,
        channel: AsyncThrowingChannel<Batch, any Error>
    ) async throws {
        while let chunk = queue.next() {
            try Task.checkCancellation()
            let table = self.plan.tables[chunk.tableIndex]
            await channel.send(.chunkStarted(tableIndex: chunk.tableIndex))
            do {
                try await self.read(chunk, of: table, on: connection, channel: channel)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw CDCError(
                    .snapshot,
                    "the initial snapshot could not read table \(table.schema.qualifiedName)",
                    relation: table.schema.qualifiedName,
                    underlying: error
                )
            }
            await channel.send(.chunkFinished(tableIndex: chunk.tableIndex, pages: chunk.pages))
        }
    }

    private func read(
        _ chunk: SnapshotChunk,
        of table: SnapshotTable,
        on connection: PostgresConnection,
        channel: AsyncThrowingChannel<Batch, any Error>
    ) async throws {
        let columns = table.schema.columns
        let text = table.textColumns
        let catalog = self.plan.catalog
        let rows = try await connection.query(PostgresQuery(unsafeSQL: table.query(for: chunk)), logger: self.logger)
        var batch: [Row] = []
        batch.reserveCapacity(Self.batchSize)
        for try await row in rows {
            var values: [ColumnValue] = []
            values.reserveCapacity(columns.count)
            var index = 0
            for cell in row where index < columns.count {
                let storage: ColumnValue.Storage
                if let bytes = cell.bytes {
                    storage = text[index] ? .text(bytes) : .binary(bytes)
                } else {
                    storage = .null
                }
                values.append(
                    ColumnValue(
                        storage: storage,
                        typeOID: columns[index].typeOID,
                        typeModifier: columns[index].typeModifier
                    )
                )
                index += 1
            }
            guard values.count == columns.count else {
                throw CDCError(
                    .snapshot,
                    "a snapshot row of \(table.schema.qualifiedName) has \(values.count) columns, expected \(columns.count)",
                    relation: table.schema.qualifiedName
                )
            }
            batch.append(Row(columns: columns, values: values, catalog: catalog))
            if batch.count == Self.batchSize {
                await channel.send(.rows(tableIndex: chunk.tableIndex, batch))
                try Task.checkCancellation()
                batch = []
                batch.reserveCapacity(Self.batchSize)
            }
        }
        if !batch.isEmpty {
            await channel.send(.rows(tableIndex: chunk.tableIndex, batch))
        }
    }
}
