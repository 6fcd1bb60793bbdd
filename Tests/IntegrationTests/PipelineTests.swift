import CDCTestSupport
import Foundation
import NIOCore
import PGOutput
import PostgresCDC
import PostgresWire
import Testing

@Suite(.enabled(if: TestDatabase.shouldRun, "start Postgres with scripts/test-cluster.sh start"), .serialized)
struct PipelineTests {
    static let allTypesColumns = """
        id int8 PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, n2 numeric(10,2),
        t text, vc varchar(20), c char(3), nm name, u uuid, j json, jb jsonb, by bytea, d date, tm time,
        ttz timetz, ts timestamp, tstz timestamptz, iv interval, ip inet, cd cidr, mac macaddr,
        ai int4[], at text[], a2 int8[][], mood pgcdc_test_mood, dom pgcdc_test_positive, am pgcdc_test_mood[]
        """
    static let typeSetup = """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'pgcdc_test_mood') THEN
            CREATE TYPE pgcdc_test_mood AS ENUM ('sad', 'ok', 'happy');
          END IF;
          IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'pgcdc_test_positive') THEN
            CREATE DOMAIN pgcdc_test_positive AS int4 CHECK (VALUE > 0);
          END IF;
        END $$;
        """
    static let allTypesRow = """
        (1, true, -32768, 2147483647, -9223372036854775808, 'NaN', '-Infinity', '12345678901234567890.000000001',
         '-12.50', E'line\\nbreak "quoted" ünïcödé', 'varchar', 'ab', 'a_name', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
         '{"a": [1, 2.5, null]}', '{"b": {"c": true}}', '\\xdeadbeef', '2024-02-29', '23:59:59.999999',
         '12:00:00+05:30', '2000-01-01 00:00:00', 'infinity', '1 year 2 mons -3 days 04:05:06.789',
         '192.168.0.1', '10.0.0.0/8', '08:00:2b:01:02:03', '{1,NULL,3}', '{"a b","NULL",NULL,"q\\"uote"}',
         '{{1,2},{3,4}}', 'happy', 42, '{sad,happy}')
        """

    /// Streams one insert of every type in text and in binary mode: the typed values are equal, and exact.
    @Test(arguments: [false, true])
    func typedValuesOfEveryTypeAreExact(binary: Bool) async throws {
        try await TestDatabase.execute(Self.typeSetup)
        try await PipelineFixture.with(columns: Self.allTypesColumns) { fixture in
            try await fixture.createSlot()
            try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES \(Self.allTypesRow)")
            var configuration = fixture.configuration()
            configuration.binary = binary
            let handler = RecordingHandler()
            try await runPipeline(configuration, handler: handler) { $0.commits.count >= 1 }
            let change = try #require(handler.changes.first)
            #expect(change.operation == .insert)
            let values = try typed(change.after)
            #expect(values["id"] == .int(1))
            #expect(values["b"] == .bool(true))
            #expect(values["i2"] == .int(-32768))
            #expect(values["i4"] == .int(2_147_483_647))
            #expect(values["i8"] == .int(.min))
            if case .double(let nan) = values["f4"] { #expect(nan.isNaN) } else { Issue.record("f4 not a double") }
            #expect(values["f8"] == .double(-.infinity))
            #expect(values["n"] == .numeric("12345678901234567890.000000001"))
            #expect(values["n2"] == .numeric("-12.50"))
            #expect(values["t"] == .string("line\nbreak \"quoted\" ünïcödé"))
            #expect(values["c"] == .string("ab "))
            #expect(values["u"] == .uuid(UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")!))
            #expect(values["by"] == .bytes([0xDE, 0xAD, 0xBE, 0xEF]))
            #expect(values["d"] == .date(PostgresDate(year: 2024, month: 2, day: 29)!))
            #expect(values["tstz"] == .timestampTZ(.infinity))
            #expect(values["iv"] == .interval(PostgresInterval(months: 14, days: -3, microseconds: 14_706_789_000)))
            #expect(values["ip"] == .inet("192.168.0.1"))
            #expect(values["cd"] == .cidr("10.0.0.0/8"))
            #expect(values["mood"] == .string("happy"))
            #expect(values["dom"] == .int(42))
            if case .json(let text) = values["jb"] {
                #expect(text == #"{"b": {"c": true}}"#)
            } else {
                Issue.record("jsonb not json")
            }
            if case .array(let array) = values["at"] {
                #expect(array.elements == [.string("a b"), .string("NULL"), .null, .string("q\"uote")])
            } else {
                Issue.record("text[] not an array")
            }
            if case .array(let array) = values["a2"] {
                #expect(array.dimensions == [2, 2])
                #expect(array.elements == [.int(1), .int(2), .int(3), .int(4)])
            } else {
                Issue.record("int8[][] not an array")
            }
            if case .array(let array) = values["am"] {
                #expect(array.elements == [.string("sad"), .string("happy")])
            } else {
                Issue.record("enum[] not an array")
            }
            // The schema carries format_type names and nullability from the catalog.
            let schema = try #require(change.table)
            #expect(schema.columns.first { $0.name == "n2" }?.typeName == "numeric(10,2)")
            #expect(schema.columns.first { $0.name == "vc" }?.typeName == "character varying(20)")
            #expect(schema.columns.first { $0.name == "id" }?.isNullable == false)
            #expect(schema.columns.first { $0.name == "t" }?.isNullable == true)
            #expect(change.key.map { $0.columns.map(\.name) } == ["id"])
        }
    }

    @Test func textAndBinaryGiveEqualValues() async throws {
        try await TestDatabase.execute(Self.typeSetup)
        try await PipelineFixture.with(columns: Self.allTypesColumns) { fixture in
            try await fixture.createSlot()
            try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES \(Self.allTypesRow)")
            var results: [[String: PostgresValue]] = []
            for binary in [false, true] {
                var configuration = fixture.configuration()
                configuration.binary = binary
                configuration.acknowledgement = .explicit  // read the same transaction twice
                let handler = RecordingHandler(acknowledgeCommits: false)
                try await runPipeline(configuration, handler: handler) { $0.commits.count >= 1 }
                results.append(try typed(try #require(handler.changes.first).after))
            }
            #expect(results[0].count == 32)
            for (name, value) in results[0] where name != "f4" {
                #expect(results[1][name] == value, "column \(name)")
            }
        }
    }

    @Test func updatesAndDeletesUnderEachReplicaIdentity() async throws {
        for identity in ["DEFAULT", "FULL", "USING INDEX", "NOTHING"] {
            let setup =
                identity == "USING INDEX"
                ? "CREATE UNIQUE INDEX ON $TABLE (code); ALTER TABLE $TABLE REPLICA IDENTITY USING INDEX $TABLE_code_idx;"
                : "ALTER TABLE $TABLE REPLICA IDENTITY \(identity);"
            try await PipelineFixture.with(columns: "id int PRIMARY KEY, code text NOT NULL, note text", setup: setup) {
                fixture in
                try await fixture.createSlot()
                if identity == "NOTHING" {
                    // The server refuses to update a table without replica identity that publishes updates
                    // (that is what `pgcdc doctor` warns about); publish inserts only.
                    let refused = await #expect(throws: PostgresWireError.self) {
                        try await TestDatabase.execute(
                            "INSERT INTO \(fixture.table) VALUES (0, 'z', 'zero'); UPDATE \(fixture.table) SET note = 'x'"
                        )
                    }
                    #expect(refused?.serverFields?.sqlState == "55000")
                    try await TestDatabase.execute("ALTER PUBLICATION \(fixture.publication) SET (publish = 'insert')")
                }
                try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (1, 'a', 'one')")
                try await TestDatabase.execute("UPDATE \(fixture.table) SET note = 'uno' WHERE id = 1")
                try await TestDatabase.execute("UPDATE \(fixture.table) SET id = 2, code = 'b' WHERE id = 1")
                if identity != "NOTHING" {
                    try await TestDatabase.execute("DELETE FROM \(fixture.table) WHERE id = 2")
                }
                let handler = RecordingHandler()
                let expected = identity == "NOTHING" ? 1 : 4
                try await runPipeline(fixture.configuration(), handler: handler) { $0.commits.count >= expected }
                let changes = handler.changes
                try #require(changes.count == expected, "\(identity)")
                let keyName = identity == "USING INDEX" ? "code" : "id"
                if identity == "NOTHING" {
                    #expect(changes[0].operation == .insert)
                    #expect(changes[0].key == nil)
                    #expect(changes[0].table?.replicaIdentity == ReplicaIdentity.nothing)
                    return
                }
                #expect(changes[1].operation == .update)
                #expect(try typed(changes[1].after)["note"] == .string("uno"))
                // The key changes in the third transaction: the key comes from the old row when there is one.
                switch identity {
                case "FULL":
                    #expect(try typed(changes[1].before)["note"] == .string("one"))
                    #expect(try typed(changes[2].key)["id"] == .int(1))
                    #expect(
                        try typed(changes[3].before) == ["id": .int(2), "code": .string("b"), "note": .string("uno")]
                    )
                default:
                    #expect(changes[1].before == nil)
                    #expect(try typed(changes[1].key) == [keyName: keyName == "id" ? .int(1) : .string("a")])
                    #expect(try typed(changes[2].key) == [keyName: keyName == "id" ? .int(1) : .string("a")])
                    #expect(try typed(changes[3].key) == [keyName: keyName == "id" ? .int(2) : .string("b")])
                    #expect(changes[3].operation == .delete)
                }
            }
        }
    }

    @Test func unchangedToastIsNeverNull() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY, big text, small text") { fixture in
            try await fixture.createSlot()
            // Random text does not compress, so it is stored out of line (TOAST).
            try await TestDatabase.execute(
                "INSERT INTO \(fixture.table) SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 200) g"
            )
            try await TestDatabase.execute("UPDATE \(fixture.table) SET small = 'changed' WHERE id = 1")
            try await TestDatabase.execute("ALTER TABLE \(fixture.table) REPLICA IDENTITY FULL")
            try await TestDatabase.execute("UPDATE \(fixture.table) SET small = 'again' WHERE id = 1")
            let handler = RecordingHandler()
            try await runPipeline(fixture.configuration(), handler: handler) { $0.commits.count >= 3 }
            let changes = handler.changes
            try #require(changes.count == 3)
            let update = changes[1]
            #expect(update.unchangedToastColumns == ["big"])
            #expect(update.after?["big"]?.isUnchangedToast == true)
            #expect(update.after?["big"]?.isNull == false)
            #expect(try update.after?.value("big") == nil)
            // Under REPLICA IDENTITY FULL the value is filled from the old row.
            let full = changes[2]
            #expect(full.unchangedToastColumns.isEmpty)
            if case .string(let text)? = try full.after?.value("big") {
                #expect(text.count == 6400)
            } else {
                Issue.record("big not filled from the old row")
            }
        }
    }

    @Test func schemaChangesMidStreamRefreshTheSchema() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY, a text") { fixture in
            try await fixture.createSlot()
            try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (1, 'x')")
            try await TestDatabase.execute("ALTER TABLE \(fixture.table) ADD COLUMN b numeric(5,1)")
            try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (2, 'y', 3.5)")
            try await TestDatabase.execute("ALTER TABLE \(fixture.table) DROP COLUMN a")
            try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (3, 4.5)")
            let handler = RecordingHandler()
            try await runPipeline(fixture.configuration(), handler: handler) { $0.commits.count >= 3 }
            let changes = handler.changes
            try #require(changes.count == 3)
            #expect(changes[0].table?.columns.map(\.name) == ["id", "a"])
            #expect(changes[1].table?.columns.map(\.name) == ["id", "a", "b"])
            #expect(changes[1].table?.columns.last?.typeName == "numeric(5,1)")
            #expect(try typed(changes[1].after)["b"] == .numeric("3.5"))
            #expect(changes[2].table?.columns.map(\.name) == ["id", "b"])
            #expect(try typed(changes[2].after) == ["id": .int(3), "b": .numeric("4.5")])
        }
    }

    @Test func truncateAndLogicalMessages() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY") { fixture in
            try await fixture.createSlot()
            try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (1)")
            try await TestDatabase.execute("TRUNCATE \(fixture.table) RESTART IDENTITY")
            try await TestDatabase.execute(
                "BEGIN; SELECT pg_logical_emit_message(true, 'outbox', 'in-tx'); INSERT INTO \(fixture.table) VALUES (2); COMMIT"
            )
            try await TestDatabase.execute("SELECT pg_logical_emit_message(false, 'outbox', 'no-tx')")
            var configuration = fixture.configuration()
            configuration.messages = true
            let handler = RecordingHandler()
            try await runPipeline(configuration, handler: handler) { handler in
                handler.changes.contains { $0.message.map { String(buffer: $0.content) } == "no-tx" }
            }
            let changes = handler.changes.filter { $0.message?.prefix != "pgcdc.heartbeat" }
            let operations = changes.map(\.operation)
            #expect(operations == [.insert, .truncate, .message, .insert, .message])
            #expect(changes[1].truncateOptions == .restartIdentity)
            #expect(changes[2].message?.isTransactional == true)
            #expect(changes[2].message.map { String(buffer: $0.content) } == "in-tx")
            #expect(changes[2].transaction?.xid == changes[3].transaction?.xid)
            #expect(changes[2].index == 0)
            #expect(changes[3].index == 1)
            #expect(changes[4].message?.isTransactional == false)
            #expect(changes[4].transaction == nil)
        }
    }

    /// `heartbeatInterval` writes a non-transactional message that often (seen here with `messages` on), and the
    /// slot is acknowledged past the last one: an idle slot keeps up with a server that writes nothing else.
    @Test func heartbeatsAreWrittenAndTheSlotFollowsThem() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY") { fixture in
            try await fixture.createSlot()
            var configuration = fixture.configuration()
            configuration.messages = true
            configuration.heartbeatInterval = .milliseconds(200)
            let handler = RecordingHandler()
            let started = ContinuousClock.now
            try await runPipeline(configuration, handler: handler) { handler in
                handler.changes.filter { $0.message?.prefix == "pgcdc.heartbeat" }.count >= 3
            }
            let elapsed = started.duration(to: .now)
            let heartbeats = handler.changes.filter { $0.message?.prefix == "pgcdc.heartbeat" }
            #expect(heartbeats.count >= 3)
            #expect(elapsed >= .milliseconds(400), "three heartbeats 200 ms apart came after \(elapsed)")
            #expect(heartbeats.allSatisfy { $0.message?.isTransactional == false && $0.transaction == nil })
            let last = try #require(heartbeats.last?.lsn)
            let flushed = try await TestDatabase.execute(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '\(fixture.slot)'"
            )
            let position = try #require(flushed.first?.rows.first?.first.flatMap { $0 }.flatMap { LSN($0) })
            #expect(position > last)
        }
    }

    @Test func streamedLargeTransactionsIncludingAnAbortedOne() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY, pad text") { fixture in
            try await fixture.createSlot()
            var configuration = fixture.configuration()
            configuration.streaming = true
            configuration.protocolVersion = .v2
            configuration.replication.sessionParameters.append(("logical_decoding_work_mem", "64kB"))
            let handler = RecordingHandler()
            let pipeline = ChangeDataCapture(
                configuration: configuration,
                handler: handler,
                logger: TestDatabase.logger
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                // A transaction is streamed only while it runs: the consumer streams live, the transaction
                // outgrows logical_decoding_work_mem, waits, then rolls back.
                try await Task.sleep(for: .milliseconds(500))
                try await TestDatabase.execute(
                    "BEGIN; INSERT INTO \(fixture.table) SELECT g, repeat('x', 100) FROM generate_series(1, 3000) g; "
                        + "SELECT pg_sleep(1); ROLLBACK"
                )
                try await TestDatabase.execute(
                    "INSERT INTO \(fixture.table) SELECT g, repeat('y', 100) FROM generate_series(1, 3000) g"
                )
                let deadline = ContinuousClock.now.advanced(by: .seconds(30))
                while handler.commits.isEmpty && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                pipeline.requestStop()
                try await group.waitForAll()
            }
            let aborts = handler.events.compactMap { event -> UInt32? in
                if case .streamAbort(let xid, _) = event { return xid }
                return nil
            }
            let commit = try #require(handler.commits.first)
            #expect(commit.transaction.isStreamed)
            #expect(commit.eventCount == 3000)
            #expect(aborts.count == 1)
            let committedChanges = handler.changes.filter { $0.transaction?.xid == commit.transaction.xid }
            #expect(committedChanges.count == 3000)
            #expect(committedChanges.allSatisfy { $0.transaction?.isStreamed == true })
            // The aborted transaction's changes were streamed (that is what streaming means), marked with its
            // xid; the abort event tells the consumer to drop them.
            let abortedChanges = handler.changes.filter { $0.transaction?.xid == aborts.first }
            #expect(abortedChanges.count > 0)
            #expect(abortedChanges.count <= 3000)
        }
    }

    @Test func preparedTransactionsAreDeliveredWhenCommitted() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY") { fixture in
            try await fixture.createSlot()
            let gid = TestDatabase.uniqueName("gid")
            try await TestDatabase.execute(
                "BEGIN; INSERT INTO \(fixture.table) VALUES (1); PREPARE TRANSACTION '\(gid)'"
            )
            try await TestDatabase.execute("COMMIT PREPARED '\(gid)'")
            try await TestDatabase.execute(
                "BEGIN; INSERT INTO \(fixture.table) VALUES (2); PREPARE TRANSACTION '\(gid)x'"
            )
            try await TestDatabase.execute("ROLLBACK PREPARED '\(gid)x'")
            try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (3)")
            let handler = RecordingHandler()
            try await runPipeline(fixture.configuration(), handler: handler) { $0.commits.count >= 2 }
            // Without two-phase decoding only committed data arrives: the rolled-back prepared row never does.
            #expect(try handler.changes.map { try typed($0.after)["id"] } == [.int(1), .int(3)])
        }
    }

    @Test func twoPhaseDecodingDeliversPrepareAndOutcome() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY") { fixture in
            try await fixture.createSlot(twoPhase: true)
            let gid = TestDatabase.uniqueName("gid")
            try await TestDatabase.execute(
                "BEGIN; INSERT INTO \(fixture.table) VALUES (1); PREPARE TRANSACTION '\(gid)'"
            )
            var configuration = fixture.configuration()
            configuration.twoPhase = true
            let handler = RecordingHandler()
            let pipeline = ChangeDataCapture(
                configuration: configuration,
                handler: handler,
                logger: TestDatabase.logger
            )
            func seen(_ predicate: (CDCEvent) -> Bool) -> Bool { handler.events.contains(where: predicate) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                let deadline = ContinuousClock.now.advanced(by: .seconds(30))
                while !seen({ if case .prepared = $0 { true } else { false } }) && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await TestDatabase.execute("ROLLBACK PREPARED '\(gid)'")
                while !seen({ if case .preparedOutcome = $0 { true } else { false } }) && ContinuousClock.now < deadline
                {
                    try await Task.sleep(for: .milliseconds(20))
                }
                pipeline.requestStop()
                try await group.waitForAll()
            }
            let kinds = handler.events.compactMap { event -> String? in
                switch event {
                case .begin: "begin"
                case .change: "change"
                case .prepared(_, let g, _): g == gid ? "prepared" : "other"
                case .preparedOutcome(_, let g, let committed, _): g == gid && !committed ? "rolled back" : "other"
                default: nil
                }
            }
            #expect(kinds == ["begin", "change", "prepared", "rolled back"])
        }
    }

    // MARK: acknowledgement

    @Test func unacknowledgedTransactionsAreDeliveredAgainAcknowledgedOnesAreNot() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY") { fixture in
            try await fixture.createSlot()
            for id in 1...3 { try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (\(id))") }
            var explicit = fixture.configuration()
            explicit.acknowledgement = .explicit
            explicit.advanceOnKeepalive = false

            let first = RecordingHandler(acknowledgeCommits: false)
            try await runPipeline(explicit, handler: first) { $0.commits.count >= 3 }
            #expect(first.commits.count == 3)

            // Nothing acknowledged: a restart delivers the same three transactions.
            let second = RecordingHandler(acknowledgeCommits: false)
            try await runPipeline(explicit, handler: second) { $0.commits.count >= 3 }
            #expect(second.commits.map(\.endLSN) == first.commits.map(\.endLSN))

            // Acknowledge the first two only (the default mode acknowledges after commit returns; stop after two).
            let third = RecordingHandler()
            try await runPipeline(fixture.configuration(), handler: third) { $0.commits.count >= 2 }
            let acknowledged = try #require(third.commits.last?.endLSN)

            let fourth = RecordingHandler(acknowledgeCommits: false)
            try await runPipeline(explicit, handler: fourth, timeout: .seconds(5)) {
                $0.commits.count >= 3 - third.commits.count
            }
            #expect(fourth.commits.allSatisfy { $0.endLSN > acknowledged })
            #expect(fourth.commits.map(\.endLSN) == first.commits.map(\.endLSN).filter { $0 > acknowledged })
        }
    }

    @Test func terminatedWalsenderReconnectsAndLosesNothing() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY") { fixture in
            try await fixture.createSlot()
            // A slow consumer, so that the walsender is killed while a transaction is half delivered.
            let handler = RecordingHandler(changeDelay: .milliseconds(2))
            let pipeline = ChangeDataCapture(
                configuration: fixture.configuration(),
                handler: handler,
                logger: TestDatabase.logger
            )
            var kills = 0
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                for round in 0..<3 {
                    // One transaction of 300 rows and ten small ones.
                    try await TestDatabase.execute(
                        "INSERT INTO \(fixture.table) SELECT g FROM generate_series(\(round * 1000 + 1), \(round * 1000 + 300)) g"
                    )
                    for id in 0..<10 {
                        try await TestDatabase.execute(
                            "INSERT INTO \(fixture.table) VALUES (\(round * 1000 + 500 + id))"
                        )
                    }
                    // Kill the walsender once the consumer is inside the big transaction.
                    let deadline = ContinuousClock.now.advanced(by: .seconds(20))
                    while handler.changes.count <= round * 310 + 20 && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    let killed = try await TestDatabase.execute(
                        "SELECT pg_terminate_backend(active_pid)::text FROM pg_replication_slots "
                            + "WHERE slot_name = '\(fixture.slot)' AND active_pid IS NOT NULL"
                    ).first?.rows.first?.first
                    if killed == "true" { kills += 1 }
                    while handler.commits.count < (round + 1) * 11 && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                pipeline.requestStop()
                try await group.waitForAll()
            }
            #expect(kills == 3)
            let ids = try handler.changes.compactMap { change -> Int64? in
                if case .int(let id)? = try typed(change.after)["id"] { return id }
                return nil
            }
            var expected = Set<Int64>()
            for round in 0..<3 {
                let base = Int64(round * 1000)
                for id in (base + 1)...(base + 300) { expected.insert(id) }
                for id in (base + 500)..<(base + 510) { expected.insert(id) }
            }
            // Nothing lost...
            #expect(Set(ids) == expected)
            // ...and no committed (acknowledged) transaction delivered twice: only the interrupted, never
            // acknowledged transaction's first rows are seen again.
            let commitEnds = handler.commits.map(\.endLSN)
            #expect(Set(commitEnds).count == commitEnds.count)
            #expect(commitEnds.count == 33)
        }
    }

    // MARK: setup errors

    @Test func missingPublicationIsAClearError() async throws {
        try TestDatabase.requireConfigured()
        var configuration = CDCConfiguration(
            connection: TestDatabase.settings(),
            slot: TestDatabase.uniqueName("slot"),
            publications: ["no_such_publication"]
        )
        configuration.createSlot = false
        let pipeline = ChangeDataCapture(
            configuration: configuration,
            handler: RecordingHandler(),
            logger: TestDatabase.logger
        )
        let error = await #expect(throws: CDCError.self) { try await pipeline.run() }
        #expect(error?.code == .publicationMissing)
        #expect(error?.description.contains("no_such_publication") == true)
    }

    @Test func slotInUseIsAClearError() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY") { fixture in
            try await fixture.createSlot()
            let handler = RecordingHandler()
            let first = ChangeDataCapture(
                configuration: fixture.configuration(),
                handler: handler,
                logger: TestDatabase.logger
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await first.run() }
                // Wait until the first consumer holds the slot.
                for _ in 0..<100 {
                    let active = try await TestDatabase.execute(
                        "SELECT active::text FROM pg_replication_slots WHERE slot_name = '\(fixture.slot)'"
                    ).first?.rows.first?.first
                    if active == "true" { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                let second = ChangeDataCapture(
                    configuration: fixture.configuration(),
                    handler: RecordingHandler(),
                    logger: TestDatabase.logger
                )
                let error = await #expect(throws: CDCError.self) { try await second.run() }
                #expect(error?.code == .slotInUse)
                first.requestStop()
                try await group.waitForAll()
            }
        }
    }

    @Test func userWithoutReplicationPrivilegeIsAClearError() async throws {
        try await PipelineFixture.with(columns: "id int PRIMARY KEY") { fixture in
            let role = TestDatabase.uniqueName("norepl")
            try await TestDatabase.execute("CREATE ROLE \(role) LOGIN PASSWORD '\(TestDatabase.password ?? "")'")
            defer { Task { _ = try? await TestDatabase.execute("DROP ROLE IF EXISTS \(role)") } }
            let pipeline = ChangeDataCapture(
                configuration: fixture.configuration(user: role),
                handler: RecordingHandler(),
                logger: TestDatabase.logger
            )
            let error = await #expect(throws: CDCError.self) { try await pipeline.run() }
            #expect(error?.code == .privilege)
            #expect(error?.description.contains("REPLICATION") == true)
        }
    }
}
