import CDCTestSupport
import Foundation
import Logging
import PostgresCDC
import PostgresNIO
import PostgresWire
import Synchronization
import Testing

/// Failover survival, proven on real servers: a primary and a hot standby of the test's own, a writer committing
/// numbered transactions throughout, the primary stopped at once (a crash) and the standby promoted — three
/// times in a row. At the end every transaction committed on the final primary is in the consumer's output.
@Suite(
    .enabled(if: TestDatabase.shouldRun, "start Postgres with scripts/test-cluster.sh start"),
    .serialized,
    .timeLimit(.minutes(5))
)
struct FailoverTests {
    /// Writes numbered transactions on two tables (one REPLICA IDENTITY FULL, with jsonb and numeric) through
    /// whatever host is the primary; retries across the failover. Transaction n inserts row n in `items`, updates
    /// row n-1, deletes row n-3 of `events`, and inserts row n in `events`.
    final class Writer: Sendable {
        let settings: ConnectionSettings
        let stopped = Mutex(false)
        let committed = Mutex(0)

        init(settings: ConnectionSettings) {
            self.settings = settings
        }

        func run() async {
            var n = 1
            // Cancellation ends it too: a failing test cancels the group, which waits for this task.
            while !self.stopped.withLock({ $0 }) && !Task.isCancelled {
                let sql = """
                    BEGIN;
                    INSERT INTO items VALUES (\(n), '{"n": \(n), "tags": ["a", "b"]}', \(n).25, now());
                    UPDATE items SET amount = amount + 1, doc = doc || '{"updated": true}' WHERE id = \(n - 1);
                    DELETE FROM events WHERE id = \(n - 3);
                    INSERT INTO events VALUES (\(n), 'event \(n)');
                    COMMIT;
                    """
                do {
                    _ = try await ReplicationConnection.withConnection(
                        to: self.settings,
                        logger: Logger(label: "writer")
                    ) {
                        try await $0.simpleQuery(sql)
                    }
                    self.committed.withLock { $0 = n }
                    n += 1
                } catch {
                    // The primary is gone, or the commit's outcome is unknown: find out on the new primary.
                    try? await Task.sleep(for: .milliseconds(100))
                    if let exists = try? await ReplicationConnection.withConnection(
                        to: self.settings,
                        logger: Logger(label: "writer"),
                        {
                            try await $0.simpleQuery("SELECT count(*) FROM items WHERE id = \(n)").first?.rows.first?
                                .first
                        }
                    ), exists == "1" {
                        self.committed.withLock { $0 = n }
                        n += 1
                    }
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }

        func stop() { self.stopped.withLock { $0 = true } }
    }

    /// What the consumer saw, as the rows of `items` (id → doc, amount) and `events` (ids), replayed in order.
    struct Replay {
        var insertedItems: [Int64: Int] = [:]  // id → how many times its insert was delivered
        var recoveredItemInserts: Set<Int64> = []
        var lostXIDs: Set<UInt32> = []
        var itemInsertXIDs: [Int64: UInt32] = [:]
        /// Transactions the connection broke in (a begin without its commit): delivered again after it.
        var unfinishedTransactions = 0
    }

    /// Replays what a consumer keeps: the changes of the transactions whose commit it was handed, per
    /// transaction (streamed transactions interleave with others). When the connection breaks in the middle of a
    /// transaction, the transaction comes again from its begin after the reconnect: a second begin of the same xid
    /// drops what came of the first.
    static func replay(_ handler: RecordingHandler) throws -> Replay {
        var replay = Replay()
        var pending: [UInt32: [ChangeEvent]] = [:]
        for event in handler.events {
            switch event {
            case .begin(let transaction):
                if pending[transaction.xid] != nil { replay.unfinishedTransactions += 1 }
                pending[transaction.xid] = []
            case .change(let change)
            where change.table?.name == "items" && (change.operation == .insert || change.operation == .read):
                pending[change.transaction?.xid ?? 0, default: []].append(change)
            case .commit(let commit, _):
                for change in pending.removeValue(forKey: commit.transaction.xid) ?? [] {
                    // Rows that existed when the slot was created arrive from its initial snapshot as reads.
                    guard case .int(let id)? = try change.after?.value("id") else { continue }
                    replay.insertedItems[id, default: 0] += 1
                    if change.isRecovered { replay.recoveredItemInserts.insert(id) }
                    replay.itemInsertXIDs[id] = change.transaction?.xid
                }
            case .streamAbort(let xid, let subtransactionID) where xid == subtransactionID:
                pending[xid] = nil
            case .lostInFailover(_, _, let transactions):
                replay.lostXIDs.formUnion(transactions.map(\.xid))
            default:
                continue
            }
        }
        replay.unfinishedTransactions += pending.count
        return replay
    }

    /// The guarantee with log tables: every item of the final primary was delivered (0 missing), and an item
    /// delivered more than once is recovered (flagged) work.
    static func expectNothingMissing(
        _ final: Set<Int64>,
        _ replay: Replay,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let missing = final.subtracting(replay.insertedItems.keys)
        #expect(
            missing.isEmpty,
            "missing: \(missing.count), e.g. \(missing.sorted().prefix(10))",
            sourceLocation: sourceLocation
        )
        let duplicated = replay.insertedItems.filter { $0.value > 1 }.map(\.key).sorted()
        #expect(
            duplicated.allSatisfy { replay.recoveredItemInserts.contains($0) },
            "unflagged duplicates: \(duplicated.prefix(10))",
            sourceLocation: sourceLocation
        )
    }

    static func setUp(_ cluster: TestCluster, logTables: Bool, allTables: Bool = false) async throws {
        let schema = """
            CREATE TABLE items (id int8 PRIMARY KEY, doc jsonb, amount numeric(12,2), at timestamptz);
            ALTER TABLE items REPLICA IDENTITY FULL;
            CREATE TABLE events (id int8 PRIMARY KEY, note text);
            CREATE PUBLICATION shop FOR \(allTables ? "ALL TABLES" : "TABLE items, events");
            """
        _ = try await ReplicationConnection.withConnection(to: cluster.settings(), logger: TestDatabase.logger) {
            try await $0.simpleQuery(schema)
        }
        if logTables {
            _ = try await LogTables.withConnection(to: cluster.settings(), logger: TestDatabase.logger) { connection in
                try await LogTables().install(publication: "shop", on: connection, logger: TestDatabase.logger)
            }
        }
    }

    /// The ids of `items` on the final primary.
    static func finalItems(_ cluster: TestCluster) async throws -> Set<Int64> {
        let rows = try await ReplicationConnection.withConnection(to: cluster.settings(), logger: TestDatabase.logger) {
            try await $0.simpleQuery("SELECT id FROM items").first?.rows ?? []
        }
        return Set(rows.compactMap { $0.first.flatMap { $0 }.flatMap { Int64($0) } })
    }

    /// Streams while a writer commits, failing over `rounds` times (crash, promote, new standby on the old port);
    /// then waits until the consumer has everything the final primary has.
    /// - Returns: the recorded events and the time from each crash to the first delivered transaction that
    ///   committed on the new primary (the writer commits every few milliseconds).
    static func failOver(
        _ cluster: TestCluster,
        configuration: CDCConfiguration,
        rounds: Int,
        beforeCrash: (ChangeDataCapture) async throws -> Void = { _ in }
    ) async throws -> (RecordingHandler, [Duration]) {
        var configuration = configuration
        configuration.replication.statusInterval = .seconds(1)
        configuration.reconnect.initialDelay = .milliseconds(100)
        configuration.reconnect.maximumDelay = .milliseconds(500)
        let handler = RecordingHandler()
        let pipeline = ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
        let writer = Writer(settings: cluster.settings())
        var recoveryTimes: [Duration] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pipeline.run() }
            group.addTask { await writer.run() }
            for _ in 0..<rounds {
                try await Task.sleep(for: .seconds(2))
                try await beforeCrash(pipeline)
                try cluster.crashPrimary()
                let crashed = ContinuousClock.now
                try cluster.promote()
                let promoted = Date()
                try await Self.eventually("streaming resumed on the new primary", pollEvery: .milliseconds(10)) {
                    handler.commits.contains { $0.commitTime > promoted }
                }
                recoveryTimes.append(crashed.duration(to: .now))
                try cluster.rebuildStandby()
            }
            try await Task.sleep(for: .seconds(1))
            writer.stop()
            let final = try await Self.finalItems(cluster)
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while ContinuousClock.now < deadline {
                if final.isSubset(of: Set(try Self.replay(handler).insertedItems.keys)) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            pipeline.requestStop()
            try await group.waitForAll()
        }
        return (handler, recoveryTimes)
    }

    @Test func logTablesRecoverEveryTransactionAcrossThreeFailovers() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: true)
        let checkpointPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgcdc-\(UUID()).checkpoint")
            .path
        defer { try? FileManager.default.removeItem(atPath: checkpointPath) }

        var configuration = CDCConfiguration(connection: cluster.settings(), slot: "shop_cdc", publications: ["shop"])
        configuration.checkpointStore = FileCheckpointStore(path: checkpointPath)
        let (handler, recoveryTimes) = try await Self.failOver(cluster, configuration: configuration, rounds: 3)
        let final = try await Self.finalItems(cluster)
        let replay = try Self.replay(handler)
        print("failover recovery times (crash → streaming again): \(recoveryTimes)")
        print(
            "committed on the final primary: \(final.count); delivered item inserts: \(replay.insertedItems.count); "
                + "transactions cut by a crash and delivered again: \(replay.unfinishedTransactions)"
        )
        #expect(final.count > 30)
        Self.expectNothingMissing(final, replay)
        // Delivered but gone (asynchronous replication lost them on promotion): reported as lost.
        let phantoms = Set(replay.insertedItems.keys).subtracting(final)
        #expect(
            phantoms.allSatisfy { replay.itemInsertXIDs[$0].map(replay.lostXIDs.contains) == true },
            "unreported phantoms: \(phantoms.sorted())"
        )
    }

    /// Waits until the standby has the consumer's slot as a synced, permanent failover slot that has caught up
    /// with `position`; nudges the primary to log running transactions (the slot sync worker needs them).
    static func waitUntilSynced(_ cluster: TestCluster, slot: String, position: LSN) async throws {
        let roles = try cluster.roles()
        guard let standby = roles.standby else { throw TestCluster.ScriptError(description: "no standby") }
        let deadline = ContinuousClock.now.advanced(by: .seconds(90))
        while ContinuousClock.now < deadline {
            _ = try? await ReplicationConnection.withConnection(
                to: cluster.settings(port: roles.primary),
                logger: TestDatabase.logger
            ) {
                try await $0.simpleQuery("SELECT pg_log_standby_snapshot()")
            }
            let row = try await ReplicationConnection.withConnection(
                to: cluster.settings(port: standby),
                logger: TestDatabase.logger
            ) {
                try await $0.simpleQuery(
                    "SELECT (synced AND NOT temporary)::text, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '\(slot)'"
                ).first?.rows.first
            }
            if let row, row[0] == "true", let flushed = row[1].flatMap({ $0 }).flatMap({ LSN($0) }), flushed >= position
            {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestCluster.ScriptError(description: "slot \(slot) was not synced to the standby in time")
    }

    @Test(.enabled(if: (TestDatabase.serverMajorVersion ?? 0) >= 17, "failover slots need PostgreSQL 17+"))
    func failoverSlotsLoseNothingAndDuplicateNothing() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: false)
        let checkpointPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgcdc-\(UUID()).checkpoint")
            .path
        defer { try? FileManager.default.removeItem(atPath: checkpointPath) }

        var configuration = CDCConfiguration(connection: cluster.settings(), slot: "shop_cdc", publications: ["shop"])
        configuration.failoverSlot = true
        configuration.checkpointStore = FileCheckpointStore(path: checkpointPath)
        // Fail over only once the standby has the slot, synced up to what the consumer acknowledged.
        let (handler, recoveryTimes) = try await Self.failOver(cluster, configuration: configuration, rounds: 3) {
            pipeline in
            try await Self.waitUntilSynced(cluster, slot: "shop_cdc", position: pipeline.acknowledgedPosition)
        }
        let final = try await Self.finalItems(cluster)
        let replay = try Self.replay(handler)
        print("failover-slot recovery times (crash → streaming again): \(recoveryTimes)")
        print(
            "committed on the final primary: \(final.count); delivered item inserts: \(replay.insertedItems.count); "
                + "transactions cut by a crash and delivered again: \(replay.unfinishedTransactions)"
        )
        #expect(final.count > 30)
        let missing = final.subtracting(replay.insertedItems.keys)
        #expect(missing.isEmpty, "missing: \(missing.sorted())")
        let duplicated = replay.insertedItems.filter { $0.value > 1 }.map(\.key)
        #expect(duplicated.isEmpty, "duplicates: \(duplicated.sorted())")
        let phantoms = Set(replay.insertedItems.keys).subtracting(final)
        #expect(phantoms.isEmpty, "phantoms: \(phantoms.sorted())")
        #expect(replay.lostXIDs.isEmpty)
    }

    /// A failover while a large transaction is open: it never committed, so none of its rows may appear; a large
    /// transaction that committed just before the crash must arrive whole (from the stream or the log tables).
    @Test func failoverInTheMiddleOfALargeTransaction() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: true)
        var configuration = CDCConfiguration(connection: cluster.settings(), slot: "shop_cdc", publications: ["shop"])
        configuration.replication.statusInterval = .seconds(1)
        configuration.reconnect.initialDelay = .milliseconds(100)
        configuration.reconnect.maximumDelay = .milliseconds(500)
        // Large transactions are streamed while in progress: the open one reaches the consumer before the crash.
        configuration.streaming = true
        configuration.replication.sessionParameters.append(("logical_decoding_work_mem", "64kB"))
        let handler = RecordingHandler()
        let pipeline = ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
        let writer = Writer(settings: cluster.settings())
        let uncommitted = Int64(200_001)...205_000
        func sawUncommittedRows() throws -> Bool {
            try handler.changes.contains { change in
                guard change.table?.name == "items", case .int(let id)? = try change.after?.value("id") else {
                    return false
                }
                return uncommitted.contains(id)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pipeline.run() }
            group.addTask { await writer.run() }
            try await Task.sleep(for: .seconds(1))
            let settings = cluster.settings()
            // Committed just before the crash: 5000 rows.
            _ = try await ReplicationConnection.withConnection(to: settings, logger: TestDatabase.logger) {
                try await $0.simpleQuery(
                    "INSERT INTO items SELECT g, '{}', g, now() FROM generate_series(100001, 105000) g"
                )
            }
            // Open when the primary dies: never committed.
            group.addTask {
                _ = try? await ReplicationConnection.withConnection(to: settings, logger: TestDatabase.logger) {
                    try await $0.simpleQuery(
                        "BEGIN; INSERT INTO items SELECT g, '{}', g, now() FROM generate_series(200001, 205000) g; "
                            + "SELECT pg_sleep(30); COMMIT"
                    )
                }
            }
            try await Self.eventually("the open transaction's rows were streamed to the consumer") {
                try sawUncommittedRows()
            }
            try cluster.crashPrimary()
            try cluster.promote()
            try await Task.sleep(for: .seconds(2))
            writer.stop()
            let final = try await Self.finalItems(cluster)
            let deadline = ContinuousClock.now.advanced(by: .seconds(90))
            while ContinuousClock.now < deadline {
                if final.isSubset(of: Set(try Self.replay(handler).insertedItems.keys)) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            pipeline.requestStop()
            try await group.waitForAll()
        }
        let final = try await Self.finalItems(cluster)
        let replay = try Self.replay(handler)
        Self.expectNothingMissing(final, replay)
        #expect((100_001...105_000).allSatisfy { final.contains(Int64($0)) })
        // Streamed before the crash, never committed: no commit may follow them.
        #expect(try sawUncommittedRows())
        #expect(!replay.insertedItems.keys.contains { uncommitted.contains($0) }, "uncommitted rows delivered")
    }

    /// `pgcdc stream` is killed with SIGKILL right after the primary dies and started again after the promotion:
    /// its checkpoint file and the log tables bring it back without a gap.
    @Test func consumerKilledAndRestartedRightAfterTheFailover() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start()
        defer { cluster.stop() }
        try await Self.setUp(cluster, logTables: true)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgcdc-kill-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("events.jsonl").path
        let ports = cluster.ports.map(String.init).joined(separator: ",")
        let arguments = [
            "stream",
            "--dsn",
            "host=127.0.0.1,127.0.0.1 port=\(ports) user=postgres dbname=postgres sslmode=disable "
                + "target_session_attrs=read-write connect_timeout=5",
            "--slot", "shop_cdc", "--publication", "shop",
            "--checkpoint", directory.appendingPathComponent("checkpoint.json").path,
            "--output", output,
        ]
        let environment = ["PGPASSWORD": cluster.password]
        var consumer = try PGCDCProcess.start(arguments, environment: environment)
        let writer = Writer(settings: cluster.settings())
        var restartedAt = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await writer.run() }
            try await Task.sleep(for: .seconds(3))
            try cluster.crashPrimary()
            kill(consumer.pid, SIGKILL)
            _ = try await consumer.wait(timeout: .seconds(10))
            restartedAt = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            try cluster.promote()
            consumer = try PGCDCProcess.start(arguments, environment: environment)
            try await Task.sleep(for: .seconds(2))
            writer.stop()
            try await group.waitForAll()
        }
        let final = try await Self.finalItems(cluster)
        var inserts: [Int64: Int] = [:]
        var recovered = Set<Int64>()
        var insertsBeforeKill = Set<Int64>()
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        repeat {
            try await Task.sleep(for: .milliseconds(200))
            inserts = [:]
            recovered = []
            insertsBeforeKill = []
            let data = FileManager.default.contents(atPath: output) ?? Data()
            var offset = 0
            for line in data.split(separator: UInt8(ascii: "\n")) {
                defer { offset += line.count + 1 }
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    object["table"] as? String == "items", ["insert", "read"].contains(object["op"] as? String),
                    let after = object["after"] as? [String: Any], let id = (after["id"] as? NSNumber)?.int64Value
                else { continue }
                inserts[id, default: 0] += 1
                if object["recovered"] as? Bool == true { recovered.insert(id) }
                if offset < restartedAt { insertsBeforeKill.insert(id) }
            }
        } while !final.isSubset(of: inserts.keys) && ContinuousClock.now < deadline
        kill(consumer.pid, SIGTERM)
        let result = try await consumer.wait(timeout: .seconds(30))
        #expect(result.status == 0, "\(result.stderr)")
        let missing = final.subtracting(inserts.keys)
        #expect(final.count > 30)
        #expect(missing.isEmpty, "missing: \(missing.sorted())")
        // A killed consumer is at-least-once: what it wrote but had not checkpointed comes again, either
        // from the slot-less log (flagged recovered) or, for work written just before the kill, again.
        let duplicated = inserts.filter { $0.value > 1 }.map(\.key)
        #expect(
            duplicated.allSatisfy { recovered.contains($0) || insertsBeforeKill.contains($0) },
            "unexpected duplicates: \(duplicated.sorted())"
        )
    }
}
