import CDCTestSupport
import Foundation
import PostgresCDC
import PostgresWire
import Testing

/// The failover log tables against the real server: install/status/uninstall with hostile names, fidelity of
/// recovered events against the stream, commit order, and pruning. Serialized: the other suites run next to it,
/// and walsender connections (`max_wal_senders`) are few.
@Suite(.enabled(if: TestDatabase.shouldRun, "start Postgres with scripts/test-cluster.sh start"), .serialized)
struct LogTablesTests {
    /// Log tables in a schema of this test's own (tests run in parallel), dropped afterwards.
    func withLogTables(_ body: (LogTables) async throws -> Void) async throws {
        try TestDatabase.requireConfigured()
        let tables = LogTables(schema: "Log \(TestDatabase.uniqueName("s"))")
        do {
            try await body(tables)
        } catch {
            try? await self.uninstall(tables)
            throw error
        }
        try await self.uninstall(tables)
    }

    func uninstall(_ tables: LogTables) async throws {
        try await LogTables.withConnection(to: TestDatabase.settings(), logger: TestDatabase.logger) {
            try await tables.uninstall(on: $0, logger: TestDatabase.logger)
        }
    }

    func install(_ tables: LogTables, publication: String) async throws -> [LogTables.PublishedTable] {
        try await LogTables.withConnection(to: TestDatabase.settings(), logger: TestDatabase.logger) {
            try await tables.install(publication: publication, on: $0, logger: TestDatabase.logger)
        }
    }

    func status(_ tables: LogTables, publication: String) async throws -> LogTables.Status {
        try await LogTables.withConnection(to: TestDatabase.settings(), logger: TestDatabase.logger) {
            try await tables.status(publication: publication, on: $0, logger: TestDatabase.logger)
        }
    }

    func pending(
        _ tables: LogTables,
        publication: String,
        after checkpoint: Checkpoint? = nil
    ) async throws -> [RecoveredTransaction] {
        try await LogTables.withConnection(to: TestDatabase.settings(), logger: TestDatabase.logger) {
            try await tables.pendingTransactions(
                after: checkpoint,
                publications: [publication],
                on: $0,
                logger: TestDatabase.logger
            )
        }
    }

    static func quoted(_ identifier: String) -> String { ReplicationCommandQuoting.identifier(identifier) }

    @Test func installStatusAndUninstallWithHostileNames() async throws {
        try await withLogTables { tables in
            let schema = "Odd Schema \(TestDatabase.uniqueName("n"))"
            let bobby = "Robert'); DROP TABLE x;--"
            let spaced = "My Table"
            let publication = TestDatabase.uniqueName("pub")
            let q = Self.quoted
            try await TestDatabase.execute(
                """
                CREATE SCHEMA \(q(schema));
                CREATE TABLE \(q(schema)).\(q(bobby)) (id int PRIMARY KEY, "Note" text);
                CREATE TABLE \(q(schema)).\(q(spaced)) (id int PRIMARY KEY);
                CREATE PUBLICATION \(publication) FOR TABLE \(q(schema)).\(q(bobby)), \(q(schema)).\(q(spaced));
                """
            )
            let cleanup = "DROP PUBLICATION IF EXISTS \(publication); DROP SCHEMA IF EXISTS \(q(schema)) CASCADE"
            do {
                try await self.checkInstallStatusUninstall(tables, schema: schema, publication: publication)
            } catch {
                _ = try? await TestDatabase.execute(cleanup)
                throw error
            }
            try await TestDatabase.execute(cleanup)
        }
    }

    func checkInstallStatusUninstall(_ tables: LogTables, schema: String, publication: String) async throws {
        let bobby = "Robert'); DROP TABLE x;--"
        let spaced = "My Table"
        let q = Self.quoted
        let before = try await status(tables, publication: publication)
        #expect(!before.isInstalled)
        #expect(before.problems.contains { $0.contains("not installed") })

        let installed = try await install(tables, publication: publication)
        #expect(Set(installed.map(\.name)) == [bobby, spaced])
        #expect(installed.allSatisfy { $0.namespace == schema })
        // Installing again changes nothing (no second trigger).
        _ = try await install(tables, publication: publication)
        let triggers = try await TestDatabase.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname IN ('\(tables.rowTriggerName)', '\(tables.truncateTriggerName)')"
        )
        #expect(triggers.first?.rows == [["4"]])

        try await TestDatabase.execute(
            """
            INSERT INTO \(q(schema)).\(q(bobby)) VALUES (1, 'a'), (2, 'b');
            UPDATE \(q(schema)).\(q(bobby)) SET "Note" = 'c' WHERE id = 1;
            INSERT INTO \(q(schema)).\(q(spaced)) VALUES (1);
            """
        )
        let after = try await status(tables, publication: publication)
        #expect(after.isInstalled)
        #expect(after.tablesWithoutTriggers.isEmpty)
        #expect(after.entryCount == 4)
        #expect(after.transactionCount == 1)
        #expect(after.sizeInBytes > 0)
        #expect(after.oldestEntry != nil)
        #expect(after.tracksCommitTimestamps)
        #expect(after.problems.isEmpty)

        // A table added to the publication lacks the triggers until the next install.
        try await TestDatabase.execute(
            "CREATE TABLE \(q(schema)).\"Later\" (id int PRIMARY KEY); "
                + "ALTER PUBLICATION \(publication) ADD TABLE \(q(schema)).\"Later\""
        )
        let missing = try await status(tables, publication: publication)
        #expect(missing.tablesWithoutTriggers.map(\.name) == ["Later"])
        #expect(missing.problems.contains { $0.contains("\"Later\"") })

        // Publishing the log table itself does not instrument it (its changes are filtered, not logged).
        try await TestDatabase.execute(
            "ALTER PUBLICATION \(publication) ADD TABLE \(q(tables.schema)).\(LogTables.logTableName)"
        )
        let again = try await install(tables, publication: publication)
        #expect(Set(again.map(\.name)) == [bobby, spaced, "Later"])

        try await uninstall(tables)
        let removed = try await status(tables, publication: publication)
        #expect(!removed.isInstalled)
        // The tables are untouched and writable without the triggers.
        try await TestDatabase.execute("INSERT INTO \(q(schema)).\(q(bobby)) VALUES (3, 'd')")
        let count = try await TestDatabase.execute("SELECT count(*) FROM \(q(schema)).\(q(bobby))")
        #expect(count.first?.rows == [["3"]])
    }

    @Test func installNeedsAnExistingPublication() async throws {
        try await withLogTables { tables in
            let error = await #expect(throws: CDCError.self) {
                try await install(tables, publication: TestDatabase.uniqueName("nopub"))
            }
            #expect(error?.code == .publicationMissing)
        }
    }

    /// The heart of recovery: for every type the decoder supports, the events recovered from the log equal the
    /// events the stream delivered for the same statements — same schema, columns, typed values and keys.
    @Test(arguments: ["DEFAULT", "FULL"])
    func recoveredEventsEqualStreamedEvents(identity: String) async throws {
        do { try await TestDatabase.execute(PipelineTests.typeSetup) } catch {
            try await TestDatabase.execute(PipelineTests.typeSetup)  // lost a race with another suite
        }
        try await withLogTables { tables in
            try await PipelineFixture.with(
                columns: PipelineTests.allTypesColumns,
                setup: "ALTER TABLE $TABLE REPLICA IDENTITY \(identity);"
            ) { fixture in
                _ = try await install(tables, publication: fixture.publication)
                try await fixture.createSlot()
                try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES \(PipelineTests.allTypesRow)")
                try await TestDatabase.execute(
                    """
                    BEGIN;
                    UPDATE \(fixture.table) SET t = NULL, n = '-0.000001', jb = '[]', tstz = '2024-06-01 12:34:56.5+02',
                        at = '{}', mood = 'sad', by = '' WHERE id = 1;
                    INSERT INTO \(fixture.table) (id, f4, vc) VALUES (2, 1.5, '');
                    UPDATE \(fixture.table) SET id = 3 WHERE id = 2;
                    COMMIT;
                    """
                )
                try await TestDatabase.execute("DELETE FROM \(fixture.table) WHERE id IN (1, 3)")
                try await TestDatabase.execute("TRUNCATE \(fixture.table)")
                let handler = RecordingHandler()
                try await runPipeline(fixture.configuration(), handler: handler) { $0.commits.count >= 4 }
                let streamed = handler.changes
                try #require(streamed.count == 7)

                let recovered = try await pending(tables, publication: fixture.publication)
                #expect(recovered.map(\.events.count) == [1, 3, 2, 1])
                let events = recovered.flatMap(\.events)
                try #require(events.count == streamed.count)
                for (stream, log) in zip(streamed, events) {
                    let what = "\(stream.operation) #\(stream.index)"
                    #expect(log.isRecovered, "\(what)")
                    #expect(!stream.isRecovered)
                    #expect(log.operation == stream.operation, "\(what)")
                    #expect(log.table == stream.table, "\(what)")
                    #expect(log.index == stream.index, "\(what)")
                    #expect(log.transaction?.xid == stream.transaction?.xid, "\(what)")
                    let logTime = try #require(log.transaction?.commitTime)
                    let streamTime = try #require(stream.transaction?.commitTime)
                    #expect(abs(logTime.timeIntervalSince(streamTime)) < 0.000_01, "\(what)")
                    #expect(log.unchangedToastColumns == stream.unchangedToastColumns, "\(what)")
                    for (name, logRow, streamRow) in [
                        ("before", log.before, stream.before), ("after", log.after, stream.after),
                        ("key", log.key, stream.key),
                    ] {
                        #expect(logRow?.columns == streamRow?.columns, "\(what) \(name)")
                        try expectSameValues(logRow, streamRow, "\(what) \(name)")
                    }
                }
                // The recovered transactions' ids are those the stream reported, in commit order.
                #expect(recovered.map(\.transaction.xid) == handler.commits.map(\.transaction.xid))
            }
        }
    }

    /// Typed values are equal, column by column, in order (NaN equals NaN here).
    func expectSameValues(_ lhs: Row?, _ rhs: Row?, _ what: String) throws {
        let left = try lhs?.typedValues() ?? []
        let right = try rhs?.typedValues() ?? []
        #expect(left.map(\.name) == right.map(\.name), "\(what)")
        for (l, r) in zip(left, right) {
            if case .double(let a) = l.value, case .double(let b) = r.value, a.isNaN, b.isNaN { continue }
            #expect(l.value == r.value, "\(what) column \(l.name)")
        }
    }

    /// Transactions come back in commit order even when the xids say otherwise, and the checkpoint's own
    /// transaction is skipped.
    @Test func pendingTransactionsAreInCommitOrder() async throws {
        try await withLogTables { tables in
            try await PipelineFixture.with(columns: "id int PRIMARY KEY, note text") { fixture in
                _ = try await install(tables, publication: fixture.publication)
                // The first transaction takes its xid first and commits last.
                try await TestDatabase.withReplicationConnection { early in
                    _ = try await early.simpleQuery("BEGIN; INSERT INTO \(fixture.table) VALUES (1, 'early xid')")
                    try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (2, 'commits first')")
                    _ = try await early.simpleQuery("UPDATE \(fixture.table) SET note = 'late commit' WHERE id = 1")
                    _ = try await early.simpleQuery("COMMIT")
                }
                let recovered = try await pending(tables, publication: fixture.publication)
                try #require(recovered.count == 2)
                #expect(recovered[0].fullTransactionID > recovered[1].fullTransactionID)
                #expect(try recovered[0].events.map { try $0.after?.value("id") } == [.int(2)])
                #expect(recovered[1].events.map(\.operation) == [.insert, .update])
                #expect(recovered[1].events.map(\.index) == [0, 1])
                let times = recovered.compactMap(\.transaction.commitTime)
                #expect(times.count == 2 && times[0] <= times[1])

                let checkpoint = Checkpoint(
                    slot: fixture.slot,
                    systemID: "1",
                    timeline: 1,
                    lsn: .zero,
                    xid: recovered[0].transaction.xid
                )
                let rest = try await pending(tables, publication: fixture.publication, after: checkpoint)
                #expect(rest.map(\.fullTransactionID) == [recovered[1].fullTransactionID])
            }
        }
    }

    /// Pruning deletes exactly the acknowledged transactions' entries, in the transaction that writes the
    /// checkpoint row; an acknowledgement that fails prunes nothing.
    @Test func pruningNeverRemovesUnacknowledgedEntries() async throws {
        try await withLogTables { tables in
            try await PipelineFixture.with(columns: "id int PRIMARY KEY, note text") { fixture in
                _ = try await install(tables, publication: fixture.publication)
                for id in 1...4 {
                    try await TestDatabase.execute("INSERT INTO \(fixture.table) VALUES (\(id), 'tx \(id)')")
                }
                let all = try await pending(tables, publication: fixture.publication)
                try #require(all.count == 4)
                let xids = all.map(\.transaction.xid)
                let system = try await TestDatabase.withReplicationConnection { try await $0.identifySystem() }
                let checkpoint = Checkpoint(
                    slot: fixture.slot,
                    systemID: system.systemID,
                    timeline: system.timeline,
                    lsn: LSN(0x1234_5678),
                    xid: xids[2],
                    commitTime: all[2].transaction.commitTime
                )
                // Acknowledge the 1st and 3rd only (plus an xid that has no entries): the 2nd, older than the 3rd,
                // and the 4th stay.
                let deleted = try await LogTables.withConnection(
                    to: TestDatabase.settings(),
                    logger: TestDatabase.logger
                ) {
                    try await tables.acknowledge(
                        checkpoint,
                        transactions: [xids[0], xids[2], xids[3] &+ 1000],
                        on: $0,
                        logger: TestDatabase.logger
                    )
                }
                #expect(deleted == 2)
                let left = try await pending(tables, publication: fixture.publication)
                #expect(left.map(\.transaction.xid) == [xids[1], xids[3]])

                let stored = try await LogTables.withConnection(
                    to: TestDatabase.settings(),
                    logger: TestDatabase.logger
                ) {
                    try await tables.serverCheckpoint(slot: fixture.slot, on: $0, logger: TestDatabase.logger)
                }
                let server = try #require(stored)
                #expect(server.lsn == checkpoint.lsn)
                #expect(server.xid == checkpoint.xid)
                #expect(server.systemID == system.systemID)
                #expect(server.timeline == system.timeline)
                try server.verify(systemID: system.systemID)

                // When the checkpoint row cannot be written, nothing is pruned.
                try await TestDatabase.execute(
                    "ALTER TABLE \(Self.quoted(tables.schema)).\(LogTables.checkpointTableName) "
                        + "ADD CONSTRAINT no_poison CHECK (slot <> 'poison')"
                )
                var poison = checkpoint
                poison.slot = "poison"
                let error = await #expect(throws: CDCError.self) {
                    try await LogTables.withConnection(to: TestDatabase.settings(), logger: TestDatabase.logger) {
                        try await tables.acknowledge(poison, transactions: xids, on: $0, logger: TestDatabase.logger)
                    }
                }
                #expect(error?.code == .failover)
                let unchanged = try await pending(tables, publication: fixture.publication)
                #expect(unchanged.map(\.transaction.xid) == [xids[1], xids[3]])
            }
        }
    }
}
