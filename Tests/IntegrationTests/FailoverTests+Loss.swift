import CDCTestSupport
import Foundation
import Logging
import PostgresCDC
import PostgresNIO
import PostgresWire
import Synchronization
import Testing

/// What cannot be recovered, and what the consumer then does: transactions that asynchronous replication lost on
/// promotion are reported exactly; a missing slot without log tables stops the consumer (or, when allowed, copies
/// the tables again); the log tables never show up as user events, also under `FOR ALL TABLES`.
extension FailoverTests {
    /// Commits one transaction inserting row `id` of `items` on the current primary.
    /// - Returns: the transaction's xid as pgoutput reports it (32 bits).
    static func insertItem(_ id: Int, _ cluster: TestCluster) async throws -> UInt32 {
        let results = try await ReplicationConnection.withConnection(
            to: cluster.settings(),
            logger: TestDatabase.logger
        ) {
            try await $0.simpleQuery(
                "BEGIN; INSERT INTO items VALUES (\(id), '{}', \(id), now()); SELECT pg_current_xact_id()::text; COMMIT"
            )
        }
        guard let text = results.flatMap(\.rows).first?.first ?? nil, let xid = UInt64(text) else {
            throw TestCluster.ScriptError(description: "the insert of item \(id) reported no transaction id")
        }
        return UInt32(truncatingIfNeeded: xid)
    }

    /// Polls `condition` until it holds; throws after `timeout`.
    static func eventually(
        _ what: String,
        timeout: Duration = .seconds(60),
        pollEvery interval: Duration = .milliseconds(50),
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                throw TestCluster.ScriptError(description: "timed out waiting until \(what)")
            }
            try await Task.sleep(for: interval)
        }
    }

    /// One value of the server on `port`.
    static func value(_ sql: String, port: Int, _ cluster: TestCluster) async throws -> String? {
        try await ReplicationConnection.withConnection(to: cluster.settings(port: port), logger: TestDatabase.logger) {
            try await $0.simpleQuery(sql).first?.rows.first?.first ?? nil
        }
    }

    /// The standby is stopped; the primary commits five more transactions, which the consumer receives and
    /// acknowledges; the primary dies and the stale standby is promoted. Those five transactions never existed on
    /// the new timeline: the consumer must name exactly them (xid and commit LSN) — and must not confuse them with
    /// the new primary's transactions, which get the same xids.
    @Test func transactionsLostByAsynchronousReplicationAreReportedExactly() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: true)
        let checkpointPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgcdc-\(UUID()).checkpoint")
            .path
        defer { try? FileManager.default.removeItem(atPath: checkpointPath) }
        var configuration = CDCConfiguration(connection: cluster.settings(), slot: "shop_cdc", publications: ["shop"])
        configuration.checkpointStore = FileCheckpointStore(path: checkpointPath)
        configuration.acknowledgement = .explicit
        configuration.replication.statusInterval = .seconds(1)
        configuration.reconnect.initialDelay = .milliseconds(100)
        configuration.reconnect.maximumDelay = .milliseconds(500)
        let handler = RecordingHandler()
        let pipeline = ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)

        var kept: [UInt32] = []
        var lost: [UInt32] = []
        var later: [UInt32] = []
        var oldTimelineCommits: [CommittedTransaction] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pipeline.run() }
            try await Self.eventually("the consumer created its slot") {
                handler.state.withLock { !$0.slotsCreated.isEmpty }
            }
            for id in 1...5 { kept.append(try await Self.insertItem(id, cluster)) }
            try await Self.eventually("the consumer has items 1–5") {
                Set(handler.commits.map(\.transaction.xid)).isSuperset(of: kept)
            }
            // The standby has everything so far, then stops: it will miss items 6–10.
            let roles = try cluster.roles()
            let standby = try #require(roles.standby)
            let primaryLSN = try #require(
                try await Self.value("SELECT pg_current_wal_lsn()::text", port: roles.primary, cluster)
            )
            try await Self.eventually("the standby replayed \(primaryLSN)") {
                try await Self.value("SELECT pg_last_wal_replay_lsn() >= '\(primaryLSN)'", port: standby, cluster)
                    == "t"
            }
            try cluster.stopStandby()
            for id in 6...10 { lost.append(try await Self.insertItem(id, cluster)) }
            let store = FileCheckpointStore(path: checkpointPath)
            try await Self.eventually("the consumer checkpointed item 10") {
                guard Set(handler.commits.map(\.transaction.xid)).isSuperset(of: lost) else { return false }
                return try await store.load()?.xid == lost.last
            }
            oldTimelineCommits = handler.commits
            // From here on the consumer acknowledges nothing, so it writes no checkpoint rows on the new primary,
            // and the items there take consecutive xids: the lost ones, the checkpoint's among them.
            handler.acknowledging.withLock { $0 = false }
            try cluster.crashPrimary()
            try cluster.startStandby()
            try cluster.promote()
            for id in 11...30 { later.append(try await Self.insertItem(id, cluster)) }
            // Not `try`: when something is missing, the expectations below say what.
            try? await Self.eventually("the consumer has items 11–30", timeout: .seconds(30)) {
                Set(try Self.replay(handler).insertedItems.keys).isSuperset(of: (11...30).map(Int64.init))
            }
            pipeline.requestStop()
            try await group.waitForAll()
        }
        print(
            "lost xids: \(lost); xids on the new primary: \(later); reused: \(Set(lost).intersection(later).sorted())"
        )
        // The new primary hands out the lost xids again (the test is about that): the last one, the checkpoint's, too.
        #expect(Set(later).isSuperset(of: lost))

        let reports = handler.events.compactMap { event -> (LSN, [DeliveredTransaction])? in
            guard case .lostInFailover(_, let fork, let transactions) = event else { return nil }
            return (fork, transactions)
        }
        #expect(reports.count == 1)
        let (fork, reported) = try #require(reports.first)
        #expect(reported.map(\.xid) == lost)
        let commitLSNs = Dictionary(oldTimelineCommits.map { ($0.transaction.xid, $0.commitLSN) }) { $1 }
        #expect(reported.map(\.commitLSN) == lost.compactMap { commitLSNs[$0] })
        #expect(reported.allSatisfy { $0.commitLSN > fork && $0.timeline == 1 })
        #expect(kept.compactMap { commitLSNs[$0] }.allSatisfy { $0 < fork })

        // Nothing of the new primary is missing, although its transactions reuse the lost ones' xids.
        let final = try await Self.finalItems(cluster)
        #expect(final == Set((1...5).map(Int64.init) + (11...30).map(Int64.init)))
        Self.expectNothingMissing(final, try Self.replay(handler))
    }

    /// Fails on the first recovered change, as a consumer whose output is down would.
    struct FailsOnRecoveredChanges: ChangeHandler {
        struct Failure: Error {}
        func change(_ event: ChangeEvent) async throws {
            if event.isRecovered { throw Failure() }
        }
    }

    /// Recovery from the log tables fails half-way (the handler throws): the next start must recover the same
    /// transactions again, not stream from the slot the failed attempt created.
    @Test func aFailedRecoveryIsRecoveredAgainByTheNextStart() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: true)
        let checkpointPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgcdc-\(UUID()).checkpoint")
            .path
        defer { try? FileManager.default.removeItem(atPath: checkpointPath) }
        var configuration = CDCConfiguration(connection: cluster.settings(), slot: "shop_cdc", publications: ["shop"])
        configuration.checkpointStore = FileCheckpointStore(path: checkpointPath)
        configuration.reconnect.maximumAttempts = 0

        // The consumer streams item 1, then stops; items 2–4 commit while it is away; the primary fails over.
        let first = RecordingHandler()
        _ = try await Self.insertItem(1, cluster)
        try await runPipeline(configuration, handler: first) { handler in
            (try? Self.replay(handler).insertedItems.keys.contains(1)) == true
        }
        for id in 2...4 { _ = try await Self.insertItem(id, cluster) }
        let roles = try cluster.roles()
        let standby = try #require(roles.standby)
        let primaryLSN = try #require(
            try await Self.value("SELECT pg_current_wal_lsn()::text", port: roles.primary, cluster)
        )
        try await Self.eventually("the standby replayed \(primaryLSN)") {
            try await Self.value("SELECT pg_last_wal_replay_lsn() >= '\(primaryLSN)'", port: standby, cluster) == "t"
        }
        try cluster.crashPrimary()
        try cluster.promote()

        // The next start recovers them from the log, but its handler fails.
        let failing = ChangeDataCapture(
            configuration: configuration,
            handler: FailsOnRecoveredChanges(),
            logger: TestDatabase.logger
        )
        let failure = await #expect(throws: CDCError.self) { try await failing.run() }
        #expect(failure?.code == .handler)

        // The one after that recovers them again.
        let second = RecordingHandler()
        try await runPipeline(configuration, handler: second) { handler in
            let items = (try? Self.replay(handler).insertedItems.keys).map(Set.init) ?? []
            return items.isSuperset(of: [2, 3, 4])
        }
        let replay = try Self.replay(second)
        #expect(Set(replay.insertedItems.keys).isSuperset(of: [2, 3, 4]), "\(replay.insertedItems.keys.sorted())")
        #expect([2, 3, 4].allSatisfy { replay.recoveredItemInserts.contains($0) })
    }

    /// Without log tables or a failover slot, the slot is gone after the failover: the consumer stops with an
    /// explanation instead of creating a new slot that would skip what was committed meanwhile.
    @Test func missingSlotWithoutLogTablesStopsWithAnExplanation() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: false)
        var configuration = CDCConfiguration(connection: cluster.settings(), slot: "shop_cdc", publications: ["shop"])
        configuration.reconnect.initialDelay = .milliseconds(100)
        configuration.reconnect.maximumDelay = .milliseconds(500)
        let handler = RecordingHandler()
        let pipeline = ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let run = Task {
            do {
                try await pipeline.run()
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }
        defer { run.cancel() }
        try await Self.eventually("the consumer created its slot") {
            handler.state.withLock { !$0.slotsCreated.isEmpty }
        }
        let xid = try await Self.insertItem(1, cluster)
        try await Self.eventually("the consumer has item 1") { handler.commits.contains { $0.transaction.xid == xid } }
        try cluster.crashPrimary()
        try cluster.promote()
        _ = try await Self.insertItem(2, cluster)
        try await Self.eventually("the consumer stopped") { outcome.withLock { $0 != nil } }

        let result = try #require(outcome.withLock { $0 })
        guard case .failure(let error) = result else {
            Issue.record("the consumer went on without its slot")
            return
        }
        let failure = try #require(error as? CDCError, "\(error)")
        #expect(failure.code == .failover)
        #expect(failure.slot == "shop_cdc")
        #expect(failure.description.contains("pgcdc failover install"), "\(failure)")
        #expect(failure.description.contains("--on-missing-slot=resnapshot"), "\(failure)")
        let roles = try cluster.roles()
        let slots = try await Self.value(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'shop_cdc'",
            port: roles.primary,
            cluster
        )
        #expect(slots == "0", "a slot was created on the new primary")
        let delivered = try Self.replay(handler).insertedItems.keys
        #expect(!delivered.contains(2))
    }

    /// With `--on-missing-slot=resnapshot` the consumer creates the slot again and copies the tables in its
    /// snapshot: every row of the new primary arrives (as reads of the copy, then from the stream).
    @Test func missingSlotIsCopiedAgainWhenAllowed() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: false)
        var configuration = CDCConfiguration(connection: cluster.settings(), slot: "shop_cdc", publications: ["shop"])
        configuration.onMissingSlot = .resnapshot
        let (handler, _) = try await Self.failOver(cluster, configuration: configuration, rounds: 1)
        let final = try await Self.finalItems(cluster)
        let replay = try Self.replay(handler)
        #expect(final.count > 10)
        let missing = final.subtracting(replay.insertedItems.keys)
        #expect(missing.isEmpty, "missing: \(missing.sorted())")
        let copied = handler.changes.filter { $0.operation == .read && $0.table?.name == "items" }
        #expect(!copied.isEmpty, "no rows were copied again")
        #expect(handler.state.withLock { $0.slotsCreated.count } == 2)
    }

    /// A publication FOR ALL TABLES also publishes the log tables: the consumer never shows them, and the failover
    /// still recovers everything.
    @Test func logTablesAreNeverUserEventsUnderForAllTables() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: true, allTables: true)
        var configuration = CDCConfiguration(connection: cluster.settings(), slot: "shop_cdc", publications: ["shop"])
        let checkpointPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgcdc-\(UUID()).checkpoint")
            .path
        defer { try? FileManager.default.removeItem(atPath: checkpointPath) }
        configuration.checkpointStore = FileCheckpointStore(path: checkpointPath)
        let (handler, recoveryTimes) = try await Self.failOver(cluster, configuration: configuration, rounds: 1)
        print("FOR ALL TABLES recovery time (crash → streaming again): \(recoveryTimes)")
        let final = try await Self.finalItems(cluster)
        #expect(final.count > 10)
        Self.expectNothingMissing(final, try Self.replay(handler))
        let ours = configuration.logTables.schema
        #expect(!handler.changes.isEmpty)
        #expect(!handler.changes.contains { $0.table?.namespace == ours }, "a log-table change was delivered")
        #expect(!handler.relations.contains { $0.namespace == ours }, "a log-table relation was delivered")
        // The checkpoint row's own transactions (it is published too) do not show up as empty transactions.
        var changesInTransaction = 0
        var emptyTransactions = 0
        for event in handler.events {
            switch event {
            case .begin: changesInTransaction = 0
            case .change: changesInTransaction += 1
            case .commit: if changesInTransaction == 0 { emptyTransactions += 1 }
            default: continue
            }
        }
        #expect(emptyTransactions == 0)
    }
}
