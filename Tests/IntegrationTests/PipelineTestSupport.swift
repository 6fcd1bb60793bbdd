import CDCTestSupport
import Foundation
import Logging
import PostgresCDC
import PostgresWire
import Synchronization
import Testing

/// Records every event the pipeline delivers.
final class RecordingHandler: ChangeHandler {
    struct State {
        var events: [CDCEvent] = []
        var commits: [CommittedTransaction] = []
        var changes: [ChangeEvent] = []
        var relations: [TableSchema] = []
        var slotsCreated: [SlotCreation] = []
    }

    let state = Mutex(State())
    /// Acknowledge nothing (explicit mode without calls) when false.
    let acknowledgeCommits: Bool
    /// Set to false to stop acknowledging from now on (explicit mode).
    let acknowledging = Mutex(true)

    /// How long each change takes to "process" (to make a consumer slow).
    let changeDelay: Duration?

    init(acknowledgeCommits: Bool = true, changeDelay: Duration? = nil) {
        self.acknowledgeCommits = acknowledgeCommits
        self.changeDelay = changeDelay
    }

    func slotCreated(_ slot: SlotCreation) async throws {
        self.state.withLock { $0.slotsCreated.append(slot) }
    }
    func relation(_ table: TableSchema) async throws {
        self.state.withLock {
            $0.relations.append(table)
            $0.events.append(.relation(table))
        }
    }
    func begin(_ transaction: TransactionInfo) async throws {
        self.state.withLock { $0.events.append(.begin(transaction)) }
    }
    func change(_ event: ChangeEvent) async throws {
        if let changeDelay { try await Task.sleep(for: changeDelay) }
        self.state.withLock {
            $0.changes.append(event)
            $0.events.append(.change(event))
        }
    }
    func commit(_ commit: CommittedTransaction, acknowledgement: Acknowledgement) async throws {
        self.state.withLock {
            $0.commits.append(commit)
            $0.events.append(.commit(commit, acknowledgement))
        }
        if self.acknowledgeCommits && self.acknowledging.withLock({ $0 }) { acknowledgement.acknowledge() }
    }
    func other(_ event: CDCEvent) async throws {
        self.state.withLock { $0.events.append(event) }
    }

    var changes: [ChangeEvent] { self.state.withLock { $0.changes } }
    var commits: [CommittedTransaction] { self.state.withLock { $0.commits } }
    var events: [CDCEvent] { self.state.withLock { $0.events } }
    var relations: [TableSchema] { self.state.withLock { $0.relations } }
}

/// A table, a publication and a slot name for one test; dropped afterwards.
struct PipelineFixture {
    let table: String
    let publication: String
    let slot: String

    static func with(
        columns: String,
        setup: String = "",
        _ body: (PipelineFixture) async throws -> Void
    ) async throws {
        try TestDatabase.requireConfigured()
        let fixture = PipelineFixture(
            table: TestDatabase.uniqueName("tbl"),
            publication: TestDatabase.uniqueName("pub"),
            slot: TestDatabase.uniqueName("slot")
        )
        try await TestDatabase.execute(
            "CREATE TABLE \(fixture.table) (\(columns)); \(setup.replacingOccurrences(of: "$TABLE", with: fixture.table)) "
                + "CREATE PUBLICATION \(fixture.publication) FOR TABLE \(fixture.table)"
        )
        do {
            try await body(fixture)
        } catch {
            await fixture.drop()
            throw error
        }
        await fixture.drop()
    }

    func drop() async {
        for _ in 0..<20 {
            do {
                let result = try await TestDatabase.execute(
                    "SELECT 1 FROM pg_replication_slots WHERE slot_name = '\(self.slot)'"
                )
                if result.first?.rows.isEmpty != false { break }
                _ = try await TestDatabase.withReplicationConnection {
                    try await $0.dropReplicationSlot(self.slot, wait: true)
                }
                break
            } catch {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        _ = try? await TestDatabase.execute(
            "DROP PUBLICATION IF EXISTS \(self.publication); DROP TABLE IF EXISTS \(self.table) CASCADE"
        )
    }

    /// A configuration for this fixture; the slot is created by the first run (before the workload) unless told.
    func configuration(user: String? = nil) -> CDCConfiguration {
        var configuration = CDCConfiguration(
            connection: TestDatabase.settings(user: user),
            slot: self.slot,
            publications: [self.publication]
        )
        configuration.replication.statusInterval = .seconds(1)
        return configuration
    }

    /// Creates the slot now (so that changes made next are streamed).
    func createSlot(twoPhase: Bool = false) async throws {
        _ = try await TestDatabase.withReplicationConnection {
            try await $0.createReplicationSlot(self.slot, snapshot: .nothing, twoPhase: twoPhase)
        }
    }
}

/// Runs a pipeline until `until` holds for the handler (or the timeout), then stops it gracefully.
func runPipeline(
    _ configuration: CDCConfiguration,
    handler: RecordingHandler,
    timeout: Duration = .seconds(30),
    until: @escaping @Sendable (RecordingHandler) -> Bool
) async throws {
    let pipeline = ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await pipeline.run() }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !until(handler) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        pipeline.requestStop()
        try await group.waitForAll()
    }
}

/// The typed values of a row as a dictionary.
func typed(_ row: Row?) throws -> [String: PostgresValue] {
    guard let row else { return [:] }
    var result: [String: PostgresValue] = [:]
    for (name, value) in try row.typedValues() { result[name] = value }
    return result
}
