import CDCTestSupport
import Foundation
import NIOCore
import PostgresCDC
import PostgresWire
import Synchronization
import Testing

/// Replays snapshot and stream events into one map per table (key → typed row), and records every event that
/// does not fit: a row read or inserted twice (an overlap), an update or delete of an unknown row (a gap).
final class ReplayHandler: ChangeHandler {
    struct State {
        var rows: [String: [String: [String: PostgresValue]]] = [:]
        var schemas: [String: TableSchema] = [:]
        var relations: [TableSchema] = []
        var problems: [String] = []
        var reads: [ChangeEvent] = []
        var streamedChanges = 0
        var snapshotCommitted = false
        var commits: [CommittedTransaction] = []
        var slotsCreated: [SlotCreation] = []
        var progress: [SnapshotProgress] = []
        var markerSeen = false
        /// Writer transactions that committed before the snapshot's commit was delivered.
        var writesDuringSnapshot = 0
    }

    let state = Mutex(State())
    /// Throw from `change` after this many read events (an interrupted snapshot).
    let failAfterReads: Int?
    /// Sleep this long every 500 read events, so that a concurrent writer overlaps the snapshot.
    let readPause: Duration?
    /// A table and key whose insert marks the end of a test's workload.
    let marker: (table: String, key: String)?

    struct Failure: Error {}

    init(failAfterReads: Int? = nil, readPause: Duration? = nil, marker: (table: String, key: String)? = nil) {
        self.failAfterReads = failAfterReads
        self.readPause = readPause
        self.marker = marker
    }

    func slotCreated(_ slot: SlotCreation) async throws {
        self.state.withLock { $0.slotsCreated.append(slot) }
    }

    func relation(_ table: TableSchema) async throws {
        self.state.withLock {
            $0.schemas[table.name] = table
            $0.relations.append(table)
        }
    }

    func change(_ event: ChangeEvent) async throws {
        guard let table = event.table else { return }
        let key = try Self.keyText(event.key)
        let after = try event.after.map(Self.values)
        let reads: Int = self.state.withLock { state in
            // Mutated in place: copying a table's map per event would make the replay quadratic.
            let known = state.rows[table.name]?[key] != nil
            switch event.operation {
            case .read:
                state.reads.append(event)
                if known { state.problems.append("\(table.name) \(key) read twice") }
                state.rows[table.name, default: [:]][key] = after
            case .insert:
                state.streamedChanges += 1
                if known { state.problems.append("\(table.name) \(key) inserted but already known") }
                state.rows[table.name, default: [:]][key] = after
            case .update:
                state.streamedChanges += 1
                if !known { state.problems.append("\(table.name) \(key) updated but unknown") }
                state.rows[table.name, default: [:]][key] = after
            case .delete:
                state.streamedChanges += 1
                if !known { state.problems.append("\(table.name) \(key) deleted but unknown") }
                state.rows[table.name, default: [:]][key] = nil
            case .truncate, .message:
                break
            }
            if let marker = self.marker, marker.table == table.name, marker.key == key, event.operation == .insert {
                state.markerSeen = true
            }
            return state.reads.count
        }
        if event.operation == .read {
            if let failAfterReads = self.failAfterReads, reads >= failAfterReads { throw Failure() }
            if let readPause = self.readPause, reads % 500 == 0 { try await Task.sleep(for: readPause) }
        }
    }

    func commit(_ commit: CommittedTransaction, acknowledgement: Acknowledgement) async throws {
        self.state.withLock {
            $0.commits.append(commit)
            if commit.transaction.xid == 0 { $0.snapshotCommitted = true }
        }
    }

    static func keyText(_ key: Row?) throws -> String {
        guard let key else { return "<no key>" }
        return try key.typedValues().map { "\($0.value)" }.joined(separator: ",")
    }

    static func values(_ row: Row) throws -> [String: PostgresValue] {
        var result: [String: PostgresValue] = [:]
        for (name, value) in try row.typedValues() { result[name] = value }
        return result
    }

    var snapshot: State { self.state.withLock { $0 } }
}

/// Tables, a publication and a slot for one test; everything (also the sentinel slot) dropped afterwards.
struct SnapshotFixture {
    let tables: [String]
    let publication: String
    let slot: String

    static func with(
        tables count: Int,
        _ body: (SnapshotFixture) async throws -> Void
    ) async throws {
        try TestDatabase.requireConfigured()
        let fixture = SnapshotFixture(
            tables: (0..<count).map { _ in TestDatabase.uniqueName("snap") },
            publication: TestDatabase.uniqueName("pub"),
            slot: TestDatabase.uniqueName("slot")
        )
        do {
            try await body(fixture)
        } catch {
            await fixture.drop()
            throw error
        }
        await fixture.drop()
    }

    var sentinel: String { "pgcdc_snap_" + self.slot }

    func drop() async {
        for name in [self.slot, self.sentinel] {
            for _ in 0..<20 {
                do {
                    guard try await Self.slotExists(name) else { break }
                    _ = try await TestDatabase.withReplicationConnection {
                        try await $0.dropReplicationSlot(name, wait: true)
                    }
                    break
                } catch {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        _ = try? await TestDatabase.execute(
            "DROP PUBLICATION IF EXISTS \(self.publication); "
                + self.tables.map { "DROP TABLE IF EXISTS \($0) CASCADE;" }.joined()
        )
    }

    static func slotExists(_ name: String) async throws -> Bool {
        let result = try await TestDatabase.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = '\(name)'")
        return result.first?.rows.isEmpty == false
    }

    func configuration() -> CDCConfiguration {
        var configuration = CDCConfiguration(
            connection: TestDatabase.settings(),
            slot: self.slot,
            publications: [self.publication]
        )
        configuration.replication.statusInterval = .seconds(1)
        configuration.reconnect = .never
        return configuration
    }

    /// The table's rows as the server has them now, typed with the schema the stream announced.
    func contents(
        of table: String,
        schema: TableSchema,
        keyColumn: String = "id"
    ) async throws -> [String: [String:
        PostgresValue]]
    {
        let result = try #require(try await TestDatabase.execute("SELECT * FROM \(table)").first)
        var rows: [String: [String: PostgresValue]] = [:]
        for values in result.rows {
            var row: [String: PostgresValue] = [:]
            for (name, text) in zip(result.columns, values) {
                guard let column = schema.columns.first(where: { $0.name == name }) else { continue }
                let value = ColumnValue(
                    storage: text.map { .text(ByteBuffer(string: $0)) } ?? .null,
                    typeOID: column.typeOID,
                    typeModifier: column.typeModifier
                )
                row[name] = try value.decode(catalog: .builtin)
            }
            rows["\(try #require(row[keyColumn]))"] = row
        }
        return rows
    }
}

/// Runs a pipeline until `until` holds (or the timeout), then stops it gracefully.
func runSnapshotPipeline(
    _ configuration: CDCConfiguration,
    handler: ReplayHandler,
    timeout: Duration = .seconds(120),
    until: @escaping @Sendable (ReplayHandler.State) -> Bool
) async throws {
    let pipeline = ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await pipeline.run() }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !until(handler.snapshot) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        pipeline.requestStop()
        try await group.waitForAll()
    }
}

@Suite(.enabled(if: TestDatabase.shouldRun, "start Postgres with scripts/test-cluster.sh start"), .serialized)
struct SnapshotTests {
    /// 100k rows in three tables, a writer inserting, updating and deleting while the snapshot runs: snapshot
    /// plus stream, replayed by key, equal the tables' final contents, with no row read twice and no gap.
    @Test func snapshotAndStreamMeetWithoutGapOrOverlap() async throws {
        try await SnapshotFixture.with(tables: 3) { fixture in
            let (a, b, c) = (fixture.tables[0], fixture.tables[1], fixture.tables[2])
            let counts = [a: 50_000, b: 30_000, c: 20_000]
            try await TestDatabase.execute(
                """
                CREATE TABLE \(a) (id int4 PRIMARY KEY, v text, n numeric(12,2));
                CREATE TABLE \(b) (id int8 PRIMARY KEY, doc jsonb, at timestamptz, p point);
                CREATE TABLE \(c) (id int4 PRIMARY KEY, flag bool, tags text[]);
                INSERT INTO \(a) SELECT g, md5(g::text), g * 1.25 FROM generate_series(1, 50000) g;
                INSERT INTO \(b) SELECT g, jsonb_build_object('g', g), '2024-01-01'::timestamptz + g * interval '1 s',
                    point(g, -g) FROM generate_series(1, 30000) g;
                INSERT INTO \(c) SELECT g, g % 2 = 0, ARRAY['x' || g, NULL] FROM generate_series(1, 20000) g;
                CREATE PUBLICATION \(fixture.publication) FOR TABLE \(a), \(b), \(c);
                """
            )
            var configuration = fixture.configuration()
            configuration.snapshotWorkers = 3
            configuration.snapshotChunkPages = 64
            configuration.snapshotProgressInterval = .milliseconds(100)
            let handler = ReplayHandler(readPause: .milliseconds(10), marker: (a, "\(PostgresValue.int(-1))"))
            configuration.snapshotProgress = { report in handler.state.withLock { $0.progress.append(report) } }
            let finalConfiguration = configuration

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await runSnapshotPipeline(finalConfiguration, handler: handler) { $0.markerSeen }
                }
                group.addTask {
                    // The writer starts once the slot exists: its changes must come through the stream.
                    while handler.snapshot.slotsCreated.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
                    var generator = SystemRandomNumberGenerator()
                    try await TestDatabase.withReplicationConnection { connection in
                        for step in 0..<300 {
                            let id = Int.random(in: 1...20_000, using: &generator)
                            let sql: String
                            switch step % 4 {
                            case 0:
                                sql =
                                    "INSERT INTO \(a) VALUES (\(100_000 + step), 'new', 1.5); "
                                    + "INSERT INTO \(c) VALUES (\(100_000 + step), NULL, '{}')"
                            case 1:
                                sql =
                                    "UPDATE \(a) SET v = v || 'u', n = n + 1 WHERE id = \(id); "
                                    + "UPDATE \(b) SET doc = doc || '{\"u\": true}', p = point(0, 0) WHERE id = \(id)"
                            case 2:
                                sql = "DELETE FROM \(b) WHERE id = \(id); DELETE FROM \(c) WHERE id = \(id)"
                            default:
                                sql =
                                    "BEGIN; UPDATE \(c) SET flag = NOT flag WHERE id = \(id); "
                                    + "DELETE FROM \(a) WHERE id = \(id + 1); COMMIT"
                            }
                            _ = try await connection.simpleQuery(sql)
                            handler.state.withLock { state in
                                if !state.snapshotCommitted { state.writesDuringSnapshot += 1 }
                            }
                        }
                        _ = try await connection.simpleQuery("INSERT INTO \(a) VALUES (-1, 'marker', 0)")
                    }
                }
                try await group.waitForAll()
            }

            let state = handler.snapshot
            #expect(state.problems.isEmpty, "\(state.problems.prefix(10))")
            #expect(state.markerSeen)
            #expect(state.writesDuringSnapshot > 0, "the writer did not overlap the snapshot")
            // The snapshot is exactly the rows that existed when the slot was created.
            #expect(state.reads.count == 100_000)
            let slot = try #require(state.slotsCreated.first)
            #expect(state.reads.allSatisfy { $0.lsn == slot.consistentPoint && $0.transaction?.xid == 0 })
            #expect(Set(state.reads.map(\.index)).count == 100_000)
            for table in fixture.tables {
                #expect(state.reads.filter { $0.table?.name == table }.count == counts[table])
                let schema = try #require(state.schemas[table])
                let expected = try await fixture.contents(of: table, schema: schema)
                #expect(state.rows[table] == expected, "\(table) differs from the replayed events")
                let done = state.progress.last { $0.table.hasSuffix(table) && $0.isTableComplete }
                #expect(done?.rowsRead == counts[table])
                #expect(done?.fractionComplete == 1)
            }
            #expect(state.progress.contains { !$0.isTableComplete && $0.rowsPerSecond > 0 })
            #expect(try await !SnapshotFixture.slotExists(fixture.sentinel))
        }
    }

    /// A publication with a column list and a row filter: the snapshot reads only the published columns of
    /// the published rows, and announces the same schema the stream announces later.
    @Test func columnListAndRowFilterAreHonoured() async throws {
        let version = try await TestDatabase.withReplicationConnection { $0.serverMajorVersion }
        try #require(version >= 15, "column lists and row filters need PostgreSQL 15")
        try await SnapshotFixture.with(tables: 1) { fixture in
            let table = fixture.tables[0]
            try await TestDatabase.execute(
                """
                CREATE TABLE \(table) (id int4 PRIMARY KEY, a text, secret text, b varchar(10));
                INSERT INTO \(table) SELECT g, 'a' || g, 'hidden', 'b' FROM generate_series(1, 1000) g;
                CREATE PUBLICATION \(fixture.publication) FOR TABLE \(table) (id, a, b) WHERE (id % 2 = 0);
                """
            )
            var configuration = fixture.configuration()
            configuration.snapshot = .initialOnly
            let handler = ReplayHandler()
            // initial-only: run returns by itself once the copy is done.
            try await ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
                .run()
            var state = handler.snapshot
            #expect(state.reads.count == 500)
            #expect(state.reads.allSatisfy { $0.after?.columns.map(\.name) == ["id", "a", "b"] })
            #expect(
                try state.reads.allSatisfy { event in
                    guard case .int(let id) = try event.after?.value("id") else { return false }
                    return id % 2 == 0
                }
            )
            #expect(try await SnapshotFixture.slotExists(fixture.slot))
            #expect(try await !SnapshotFixture.slotExists(fixture.sentinel))
            let snapshotSchema = try #require(state.relations.first)

            // The slot exists now: streaming starts at its consistent point, without another copy.
            try await TestDatabase.execute(
                "INSERT INTO \(table) VALUES (1002, 'x', 'hidden', 'y'), (1003, 'z', 'h', 'w')"
            )
            configuration.snapshot = .initial
            try await runSnapshotPipeline(configuration, handler: handler) { $0.streamedChanges >= 1 }
            state = handler.snapshot
            #expect(state.reads.count == 500)
            #expect(state.streamedChanges == 1)
            let streamSchema = try #require(state.relations.last)
            #expect(streamSchema == snapshotSchema)
        }
    }

    /// A handler failure in the middle of the snapshot: the run fails, the slot is dropped, and the next run
    /// copies everything again (exactly once).
    @Test func failedSnapshotDropsTheSlotAndTheNextRunCopiesAgain() async throws {
        try await SnapshotFixture.with(tables: 1) { fixture in
            let table = fixture.tables[0]
            try await TestDatabase.execute(
                """
                CREATE TABLE \(table) (id int4 PRIMARY KEY, v text);
                INSERT INTO \(table) SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
                CREATE PUBLICATION \(fixture.publication) FOR TABLE \(table);
                """
            )
            var configuration = fixture.configuration()
            configuration.snapshotChunkPages = 8
            let failing = ReplayHandler(failAfterReads: 1000)
            let error = await #expect(throws: CDCError.self) {
                try await ChangeDataCapture(configuration: configuration, handler: failing, logger: TestDatabase.logger)
                    .run()
            }
            #expect(error?.code == .handler)
            #expect(try await !SnapshotFixture.slotExists(fixture.slot))
            #expect(try await !SnapshotFixture.slotExists(fixture.sentinel))

            configuration.snapshot = .initialOnly
            let handler = ReplayHandler()
            try await ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
                .run()
            let state = handler.snapshot
            #expect(state.problems.isEmpty)
            #expect(state.reads.count == 5000)
            let schema = try #require(state.schemas[table])
            #expect(state.rows[table] == (try await fixture.contents(of: table, schema: schema)))
        }
    }

    /// A graceful stop (Ctrl-C) in the middle of the snapshot: `run()` returns without error, the unfinished slot
    /// and its sentinel are gone, so the next start copies from scratch.
    @Test func stopDuringTheSnapshotDropsTheUnfinishedSlot() async throws {
        try await SnapshotFixture.with(tables: 1) { fixture in
            let table = fixture.tables[0]
            try await TestDatabase.execute(
                """
                CREATE TABLE \(table) (id int4 PRIMARY KEY, v text);
                INSERT INTO \(table) SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
                CREATE PUBLICATION \(fixture.publication) FOR TABLE \(table);
                """
            )
            var configuration = fixture.configuration()
            configuration.snapshotChunkPages = 8
            let handler = ReplayHandler(readPause: .milliseconds(20))
            let pipeline = ChangeDataCapture(
                configuration: configuration,
                handler: handler,
                logger: TestDatabase.logger
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                while handler.snapshot.reads.count < 1000 { try await Task.sleep(for: .milliseconds(5)) }
                pipeline.requestStop()
                try await group.waitForAll()
            }
            let state = handler.snapshot
            #expect(state.reads.count < 20000)
            #expect(!state.snapshotCommitted)
            #expect(try await !SnapshotFixture.slotExists(fixture.slot))
            #expect(try await !SnapshotFixture.slotExists(fixture.sentinel))
        }
    }

    /// What a crash in the middle of the snapshot leaves behind (the slot and its sentinel): the next start
    /// drops that slot, creates a new one and copies every row.
    @Test func slotLeftByACrashedSnapshotIsRecreated() async throws {
        try await SnapshotFixture.with(tables: 1) { fixture in
            let table = fixture.tables[0]
            try await TestDatabase.execute(
                """
                CREATE TABLE \(table) (id int4 PRIMARY KEY, v text);
                INSERT INTO \(table) SELECT g, 'v' FROM generate_series(1, 2000) g;
                CREATE PUBLICATION \(fixture.publication) FOR TABLE \(table);
                """
            )
            let crashed = try await TestDatabase.withReplicationConnection { connection in
                _ = try await connection.simpleQuery("CREATE_REPLICATION_SLOT \(fixture.sentinel) PHYSICAL")
                return try await connection.createReplicationSlot(fixture.slot, snapshot: .nothing)
            }
            // Rows written after the crashed slot's consistent point: a stream from that slot would have them,
            // but the rows before it were never copied.
            try await TestDatabase.execute("INSERT INTO \(table) SELECT g, 'w' FROM generate_series(2001, 2100) g")

            var configuration = fixture.configuration()
            configuration.snapshot = .initialOnly
            let handler = ReplayHandler()
            try await ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
                .run()
            let state = handler.snapshot
            let recreated = try #require(state.slotsCreated.first)
            #expect(recreated.consistentPoint > crashed.consistentPoint)
            #expect(state.reads.count == 2100)
            #expect(state.problems.isEmpty)
            #expect(try await SnapshotFixture.slotExists(fixture.slot))
            #expect(try await !SnapshotFixture.slotExists(fixture.sentinel))
        }
    }

    /// A partitioned table: with `publish_via_partition_root` its rows are read once, as the root; without it,
    /// as the leaf partitions (as the stream reports them).
    @Test(arguments: [true, false])
    func partitionsAreReadAsTheStreamReportsThem(viaRoot: Bool) async throws {
        try await SnapshotFixture.with(tables: 1) { fixture in
            let root = fixture.tables[0]
            try await TestDatabase.execute(
                """
                CREATE TABLE \(root) (id int4 PRIMARY KEY, v text) PARTITION BY RANGE (id);
                CREATE TABLE \(root)_p1 PARTITION OF \(root) FOR VALUES FROM (1) TO (501);
                CREATE TABLE \(root)_p2 PARTITION OF \(root) FOR VALUES FROM (501) TO (1001);
                INSERT INTO \(root) SELECT g, 'v' FROM generate_series(1, 1000) g;
                CREATE PUBLICATION \(fixture.publication) FOR TABLE \(root)
                    WITH (publish_via_partition_root = \(viaRoot));
                """
            )
            var configuration = fixture.configuration()
            configuration.snapshot = .initialOnly
            let handler = ReplayHandler()
            try await ChangeDataCapture(configuration: configuration, handler: handler, logger: TestDatabase.logger)
                .run()
            let state = handler.snapshot
            #expect(state.reads.count == 1000)
            #expect(state.problems.isEmpty)
            let names = Set(state.reads.compactMap { $0.table?.name })
            #expect(names == (viaRoot ? [root] : ["\(root)_p1", "\(root)_p2"]))
        }
    }

    /// `never`: the slot-created hook gets the snapshot, no row is copied, and streaming starts at once.
    @Test func neverModeOnlyCallsTheHook() async throws {
        try await SnapshotFixture.with(tables: 1) { fixture in
            let table = fixture.tables[0]
            try await TestDatabase.execute(
                """
                CREATE TABLE \(table) (id int4 PRIMARY KEY);
                INSERT INTO \(table) SELECT generate_series(1, 100);
                CREATE PUBLICATION \(fixture.publication) FOR TABLE \(table);
                """
            )
            var configuration = fixture.configuration()
            configuration.snapshot = .never
            let finalConfiguration = configuration
            let handler = ReplayHandler()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await runSnapshotPipeline(finalConfiguration, handler: handler) { $0.streamedChanges >= 1 }
                }
                while handler.snapshot.slotsCreated.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
                try await TestDatabase.execute("INSERT INTO \(table) VALUES (101)")
                try await group.waitForAll()
            }
            let state = handler.snapshot
            #expect(state.reads.isEmpty)
            #expect(state.slotsCreated.first?.snapshotName?.isEmpty == false)
            #expect(state.slotsCreated.first?.publications == [fixture.publication])
            #expect(state.streamedChanges == 1)
            #expect(try await !SnapshotFixture.slotExists(fixture.sentinel))
        }
    }
}
