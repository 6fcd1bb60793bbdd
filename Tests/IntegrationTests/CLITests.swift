import CDCTestSupport
import Foundation
import PostgresWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `pgcdc` binary, end to end against the test server.
@Suite(.enabled(if: TestDatabase.shouldRun, "start Postgres with scripts/test-cluster.sh start"), .serialized)
struct CLITests {
    /// A connection string without the password (the child gets `PGPASSWORD` from the environment).
    private var dsn: String {
        "host=\(TestDatabase.host) port=\(TestDatabase.port) user=\(TestDatabase.user) dbname=\(TestDatabase.database) sslmode=disable"
    }

    /// Creates a table and a publication for it; returns (table, publication, slot) names.
    private func makeTable() async throws -> (table: String, publication: String, slot: String) {
        let table = TestDatabase.uniqueName("cli")
        let publication = TestDatabase.uniqueName("clipub")
        let slot = TestDatabase.uniqueName("clislot")
        try await TestDatabase.execute(
            """
            CREATE TABLE \(table) (id int PRIMARY KEY, name text, amount numeric(10,2), doc jsonb);
            CREATE PUBLICATION \(publication) FOR TABLE \(table);
            """
        )
        return (table, publication, slot)
    }

    /// Drops what ``makeTable()`` made. The slot is dropped on its own, waiting while a walsender that is still
    /// exiting holds it, so that its failure cannot keep the publication and the table from being dropped.
    private func cleanUp(table: String, publication: String, slot: String) async throws {
        let exists = try await TestDatabase.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = '\(slot)'")
        if exists.first?.rows.isEmpty == false {
            _ = try? await TestDatabase.withReplicationConnection { try await $0.dropReplicationSlot(slot, wait: true) }
        }
        try await TestDatabase.execute("DROP PUBLICATION IF EXISTS \(publication); DROP TABLE IF EXISTS \(table)")
    }

    private func confirmedFlush(_ slot: String) async throws -> LSN? {
        let result = try await TestDatabase.execute(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '\(slot)'"
        )
        return result.first?.rows.first?.first.flatMap { $0 }.flatMap { LSN($0) }
    }

    private func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("stream --max-changes writes JSON lines of whole transactions, acknowledges them and exits 0")
    func streamMaxChanges() async throws {
        try TestDatabase.requireConfigured()
        let (table, publication, slot) = try await self.makeTable()
        defer { Task { try? await self.cleanUp(table: table, publication: publication, slot: slot) } }

        let created = try await PGCDCProcess.run(["slot", "create", "--dsn", self.dsn, "--slot", slot])
        #expect(created.status == 0, "\(created.stderr)")
        try await TestDatabase.execute(
            """
            INSERT INTO \(table) VALUES (1, 'a', 1.50, '{"k": [1, 2]}'), (2, 'b', NULL, NULL);
            UPDATE \(table) SET name = 'b2' WHERE id = 2;
            """
        )
        try await TestDatabase.execute("DELETE FROM \(table) WHERE id = 1")
        let before = try #require(try await self.confirmedFlush(slot))

        let result = try await PGCDCProcess.run([
            "stream", "--dsn", self.dsn, "--slot", slot, "--publication", publication, "--max-changes", "2",
            "--no-create-slot",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try self.lines(result.stdout)
        // Both statements ran in one transaction: it is written whole, the delete is not.
        #expect(events.map { $0["op"] as? String } == ["insert", "insert", "update"])
        #expect(events.allSatisfy { $0["table"] as? String == table && $0["schema"] as? String == "public" })
        let first = try #require(events.first?["after"] as? [String: Any])
        #expect(first["id"] as? Int == 1)
        #expect(first["amount"] as? String == "1.50")
        #expect((first["doc"] as? [String: Any])?["k"] as? [Int] == [1, 2])
        #expect(events[1]["after"].flatMap { ($0 as? [String: Any])?["amount"] } is NSNull)
        #expect(Set(events.compactMap { $0["xid"] as? Int }).count == 1)
        let after = try #require(try await self.confirmedFlush(slot))
        #expect(after > before, "the written transaction was acknowledged")

        // The delete was not acknowledged: the next run delivers it (and only it).
        let second = try await PGCDCProcess.run([
            "stream", "--dsn", self.dsn, "--slot", slot, "--publication", publication, "--max-changes", "1",
        ])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try self.lines(second.stdout).map { $0["op"] as? String } == ["delete"])

        let dropped = try await PGCDCProcess.run(["slot", "drop", "--dsn", self.dsn, "--slot", slot])
        #expect(dropped.status == 0, "\(dropped.stderr)")
        #expect(try await self.confirmedFlush(slot) == nil)
    }

    @Test(
        "the seed's PYPGCDC_* variables configure the stream; verbose adds begin/relation/commit; --output fsyncs a file"
    )
    func seedVariables() async throws {
        try TestDatabase.requireConfigured()
        let (table, publication, slot) = try await self.makeTable()
        defer { Task { try? await self.cleanUp(table: table, publication: publication, slot: slot) } }
        _ = try await PGCDCProcess.run(["slot", "create", "--dsn", self.dsn, "--slot", slot])
        try await TestDatabase.execute("INSERT INTO \(table) VALUES (7, 'seven', 7, '[]')")

        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(slot).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try await PGCDCProcess.run(
            ["stream", "--max-changes", "1", "--output", output],
            environment: [
                "PYPGCDC_DSN": self.dsn, "PYPGCDC_SLOT": slot, "PYPGCDC_PUBLICATION": publication,
                "PYPGCDC_VERBOSE": "true",
            ]
        )
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let events = try self.lines(try String(contentsOfFile: output, encoding: .utf8))
        #expect(events.map { $0["op"] as? String } == ["begin", "relation", "insert", "commit"])
        #expect(events.last?["end_lsn"] is String)
    }

    @Test("SIGTERM: the stream exits 0 after acknowledging what it wrote")
    func gracefulShutdown() async throws {
        try TestDatabase.requireConfigured()
        let (table, publication, slot) = try await self.makeTable()
        defer { Task { try? await self.cleanUp(table: table, publication: publication, slot: slot) } }
        let process = try PGCDCProcess.start([
            "stream", "--dsn", self.dsn, "--slot", slot, "--publication", publication, "--status-interval", "1",
        ])
        try await self.waitForActiveSlot(slot)
        try await TestDatabase.execute("INSERT INTO \(table) VALUES (1, 'x', 1, NULL)")
        let written = try await process.waitForOutput(containing: "\"insert\"")
        #expect(written)
        kill(process.pid, SIGTERM)
        let result = try await process.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let events = try self.lines(result.stdout)
        #expect(events.map { $0["op"] as? String } == ["insert"])
        let commitLSN = try #require((events.first?["commit_lsn"] as? String).flatMap { LSN($0) })
        let confirmed = try #require(try await self.confirmedFlush(slot))
        #expect(confirmed > commitLSN, "the last status update acknowledged the written transaction")
    }

    private func waitForActiveSlot(_ slot: String) async throws {
        for _ in 0..<100 {
            let active = try await TestDatabase.execute(
                "SELECT active::text FROM pg_replication_slots WHERE slot_name = '\(slot)'"
            ).first?.rows.first?.first
            if active == "true" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("slot \(slot) never became active")
    }

    @Test("bad input: one sentence on stderr, a non-zero exit, nothing acknowledged")
    func badInput() async throws {
        try TestDatabase.requireConfigured()
        let (table, publication, slot) = try await self.makeTable()
        defer { Task { try? await self.cleanUp(table: table, publication: publication, slot: slot) } }

        let closedPort = "host=127.0.0.1 port=1 user=postgres dbname=postgres sslmode=disable connect_timeout=5"
        let unreachable = try await PGCDCProcess.run(["stream", "--dsn", closedPort, "--slot", slot])
        #expect(unreachable.status != 0)
        #expect(unreachable.stderr.contains("pgcdc: "))
        #expect(unreachable.stderr.contains("127.0.0.1"))

        let wrongPassword = try await PGCDCProcess.run(
            ["stream", "--dsn", self.dsn + " password=definitely-wrong", "--slot", slot, "--publication", publication],
            environment: ["PGPASSWORD": ""]
        )
        #expect(wrongPassword.status != 0)
        #expect(wrongPassword.stderr.lowercased().contains("password"), "\(wrongPassword.stderr)")

        let noPublication = try await PGCDCProcess.run([
            "stream", "--dsn", self.dsn, "--slot", slot, "--publication", "no_such_publication_here",
        ])
        #expect(noPublication.status != 0)
        #expect(noPublication.stderr.contains("no_such_publication_here"), "\(noPublication.stderr)")
        #expect(noPublication.stdout.isEmpty)

        let badLSN = try await PGCDCProcess.run(["stream", "--lsn", "nonsense"])
        #expect(badLSN.status != 0)
        #expect(badLSN.stderr.contains("--lsn"))

        // Slot in use: a second consumer of the same slot is refused.
        let first = try PGCDCProcess.start([
            "stream", "--dsn", self.dsn, "--slot", slot, "--publication", publication,
        ])
        try await self.waitForActiveSlot(slot)
        let second = try await PGCDCProcess.run([
            "stream", "--dsn", self.dsn, "--slot", slot, "--publication", publication,
        ])
        kill(first.pid, SIGTERM)
        _ = try await first.wait()
        #expect(second.status != 0)
        #expect(second.stderr.contains("in use"), "\(second.stderr)")
        #expect(second.stderr.split(separator: "\n").filter { $0.hasPrefix("pgcdc: ") }.count == 1)
    }

    @Test("doctor: OK lines for a good setup; FAIL and exit 1 for a table without a key")
    func doctor() async throws {
        try TestDatabase.requireConfigured()
        let (table, publication, slot) = try await self.makeTable()
        defer { Task { try? await self.cleanUp(table: table, publication: publication, slot: slot) } }
        let good = try await PGCDCProcess.run([
            "doctor", "--dsn", self.dsn, "--publication", publication, "--slot", slot,
        ])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("OK   wal_level is logical"))
        #expect(!good.stdout.contains("FAIL"))

        let keyless = TestDatabase.uniqueName("nokey")
        try await TestDatabase.execute(
            "CREATE TABLE \(keyless) (v int); ALTER PUBLICATION \(publication) ADD TABLE \(keyless)"
        )
        defer { Task { try? await TestDatabase.execute("DROP TABLE IF EXISTS \(keyless)") } }
        let bad = try await PGCDCProcess.run([
            "doctor", "--dsn", self.dsn, "--publication", publication, "--slot", slot,
        ])
        #expect(bad.status != 0)
        #expect(bad.stdout.contains("FAIL table public.\(keyless) has no primary key"), "\(bad.stdout)")
    }

    @Test("wal_level replica: doctor says FAIL with the fix, stream stops at once with the same advice")
    func walLevelReplicaIsExplained() async throws {
        try TestDatabase.requireConfigured()
        let cluster = try TestCluster.start(standby: false, walLevel: "replica")
        defer { cluster.stop() }
        let dsn = "host=127.0.0.1 port=\(cluster.ports[0]) user=postgres dbname=postgres sslmode=disable"
        _ = try await ReplicationConnection.withConnection(to: cluster.settings(), logger: TestDatabase.logger) {
            try await $0.simpleQuery("CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE t")
        }
        let environment = ["PGPASSWORD": cluster.password]
        let doctor = try await PGCDCProcess.run(
            ["doctor", "--dsn", dsn, "--publication", "p", "--slot", "s"],
            environment: environment
        )
        #expect(doctor.status != 0)
        #expect(
            doctor.stdout.contains("FAIL wal_level is replica, logical replication needs logical"),
            "\(doctor.stdout)"
        )
        #expect(doctor.stdout.contains("ALTER SYSTEM SET wal_level = logical"), "\(doctor.stdout)")
        let stream = try await PGCDCProcess.run(
            ["stream", "--dsn", dsn, "--publication", "p", "--slot", "s"],
            environment: environment
        )
        #expect(stream.status != 0)
        #expect(stream.stdout.isEmpty)
        #expect(stream.stderr.contains("wal_level is 'replica'"), "\(stream.stderr)")
        #expect(stream.stderr.contains("set wal_level = logical"), "\(stream.stderr)")
    }

    @Test("stream --snapshot initial-only: the existing rows as read events, progress on stderr, exit 0")
    func snapshotInitialOnly() async throws {
        try TestDatabase.requireConfigured()
        let (table, publication, slot) = try await self.makeTable()
        defer { Task { try? await self.cleanUp(table: table, publication: publication, slot: slot) } }
        try await TestDatabase.execute(
            """
            INSERT INTO \(table) SELECT g, 'row ' || g, g * 1.25, NULL FROM generate_series(1, 250) AS g;
            ANALYZE \(table);
            """
        )

        let result = try await PGCDCProcess.run([
            "stream", "--dsn", self.dsn, "--slot", slot, "--publication", publication, "--snapshot", "initial-only",
            "--snapshot-workers", "2",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try self.lines(result.stdout)
        #expect(events.count == 250)
        #expect(events.allSatisfy { $0["op"] as? String == "read" && $0["table"] as? String == table })
        let ids = Set(events.compactMap { (($0["after"] as? [String: Any])?["id"] as? NSNumber)?.intValue })
        #expect(ids == Set(1...250), "\(result.stdout.prefix(400))")
        // A plain progress line per finished table (stderr is not a terminal here).
        #expect(result.stderr.contains("snapshot public.\(table) 100% 250 rows"), "\(result.stderr)")
        // The slot stays, so that a later `stream` continues from the snapshot's consistent point.
        #expect(try await self.confirmedFlush(slot) != nil)

        // A change after the snapshot arrives through the slot, not as a second copy.
        try await TestDatabase.execute("UPDATE \(table) SET name = 'changed' WHERE id = 7")
        let next = try await PGCDCProcess.run([
            "stream", "--dsn", self.dsn, "--slot", slot, "--publication", publication, "--max-changes", "1",
        ])
        #expect(next.status == 0, "\(next.stderr)")
        let changes = try self.lines(next.stdout)
        #expect(changes.map { $0["op"] as? String } == ["update"])
    }

    @Test("failover install --grant-to, status, uninstall: exit 0, one fact per line, the triggers come and go")
    func failoverLogTables() async throws {
        try TestDatabase.requireConfigured()
        let (table, publication, slot) = try await self.makeTable()
        let schema = TestDatabase.uniqueName("cli_log")
        let role = TestDatabase.uniqueName("cli_consumer")
        try await TestDatabase.execute("CREATE ROLE \(role)")
        defer {
            Task {
                _ = try? await TestDatabase.execute(
                    "DROP SCHEMA IF EXISTS \(schema) CASCADE; DROP ROLE IF EXISTS \(role)"
                )
                try? await self.cleanUp(table: table, publication: publication, slot: slot)
            }
        }
        let common = ["--dsn", self.dsn, "--publication", publication, "--schema", schema]

        let install = try await PGCDCProcess.run(["failover", "install"] + common + ["--grant-to", role])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("on 1 table(s) of publication \(publication)"), "\(install.stdout)")
        let granted = try await TestDatabase.execute(
            """
            SELECT has_schema_privilege('\(role)', '\(schema)', 'USAGE')::text,
                   has_table_privilege('\(role)', '\(schema).change_log', 'SELECT,DELETE')::text,
                   has_table_privilege('\(role)', '\(schema).change_log', 'INSERT')::text,
                   has_table_privilege('\(role)', '\(schema).checkpoint', 'SELECT,INSERT,UPDATE')::text
            """
        )
        #expect(granted.first?.rows.first == ["true", "true", "false", "true"])

        try await TestDatabase.execute("INSERT INTO \(table) VALUES (1, 'a', 1, NULL), (2, 'b', 2, NULL)")
        let status = try await PGCDCProcess.run(["failover", "status"] + common)
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("log tables: installed (schema \(schema))"), "\(status.stdout)")
        #expect(lines.contains("tables without trigger: none"))
        #expect(lines.contains("entries: 2 in 1 transaction(s)"))
        #expect(lines.contains("track_commit_timestamp: on"))
        #expect(lines.contains { $0.hasPrefix("oldest entry: 20") })

        let doctor = try await PGCDCProcess.run([
            "doctor", "--dsn", self.dsn, "--publication", publication, "--slot", slot, "--log-schema", schema,
        ])
        #expect(doctor.stdout.contains("OK   failover log tables installed (schema \(schema))"), "\(doctor.stdout)")

        let uninstall = try await PGCDCProcess.run(["failover", "uninstall"] + common)
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        let after = try await PGCDCProcess.run(["failover", "status"] + common)
        #expect(after.status != 0)
        #expect(after.stdout.contains("log tables: not installed"), "\(after.stdout)")
        #expect(after.stderr.contains("pgcdc failover install"), "\(after.stderr)")
        let triggers = try await TestDatabase.execute(
            "SELECT count(*)::text FROM pg_trigger WHERE tgrelid = '\(table)'::regclass AND NOT tgisinternal"
        )
        #expect(triggers.first?.rows.first == ["0"])
    }

    @Test(
        "doctor with a standby among the hosts: failover slot and the standby's slot synchronization settings",
        .enabled(if: TestDatabase.standbyPort != nil, "start the cluster with --standby")
    )
    func doctorStandby() async throws {
        try TestDatabase.requireConfigured()
        let standbyPort = try #require(TestDatabase.standbyPort)
        let major = try #require(TestDatabase.serverMajorVersion)
        let (table, publication, slot) = try await self.makeTable()
        defer { Task { try? await self.cleanUp(table: table, publication: publication, slot: slot) } }
        let hosts =
            "host=\(TestDatabase.host),\(TestDatabase.host) port=\(TestDatabase.port),\(standbyPort) "
            + "user=\(TestDatabase.user) dbname=\(TestDatabase.database) sslmode=disable"
        let standby = "\(TestDatabase.host):\(standbyPort)"

        if major >= 17 {
            let created = try await PGCDCProcess.run([
                "slot", "create", "--dsn", self.dsn, "--slot", slot, "--failover",
            ])
            #expect(created.status == 0, "\(created.stderr)")
        }
        let result = try await PGCDCProcess.run([
            "doctor", "--dsn", hosts, "--publication", publication, "--slot", slot,
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        if major >= 17 {
            #expect(lines.contains("OK   slot \(slot) is a failover slot"), "\(result.stdout)")
            #expect(lines.contains("OK   standby \(standby): sync_replication_slots is on"), "\(result.stdout)")
            #expect(lines.contains("OK   standby \(standby): hot_standby_feedback is on"))
            #expect(lines.contains { $0.hasPrefix("OK   standby \(standby): primary_slot_name is ") })
            #expect(lines.contains { $0.hasPrefix("OK   primary's synchronized_standby_slots lists ") })
            // Synced, or not yet (the standby copies a new slot once it replayed the WAL the slot needs).
            #expect(lines.contains { $0.contains("standby \(standby): slot \(slot) is") && $0.contains("synced") })
        } else {
            #expect(
                lines.contains {
                    $0.contains("standby \(standby): PostgreSQL \(major) does not synchronize logical slots")
                },
                "\(result.stdout)"
            )
        }
    }

    @Test("pgcdc demo runs to completion and leaves no server or files behind")
    func demo() async throws {
        try TestDatabase.requireConfigured()
        let result = try await PGCDCProcess.run(["demo"], timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        for expected in ["+ insert", "~ update", "- delete", "! truncate", "✉ message", "pgcdc stream --dsn"] {
            #expect(result.stdout.contains(expected), "missing \(expected)")
        }
        let directory = try #require(
            result.stdout.split(separator: "\n").lazy.compactMap { line -> String? in
                guard let range = line.range(of: "files in ") else { return nil }
                return String(line[range.upperBound...].dropLast())
            }.first
        )
        #expect(directory.hasPrefix("/tmp/pgcdc-demo-"))
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(PGCDCProcess.processes(mentioning: directory).isEmpty)
    }
}

/// Runs the built `pgcdc` binary.
struct PGCDCProcess {
    /// What a finished run left.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let process: Process
    let stdoutPath: String
    let stderrPath: String

    var pid: Int32 { self.process.processIdentifier }

    /// The binary next to the test bundle (`.build/<triple>/debug/pgcdc`).
    static var binary: URL {
        get throws {
            var candidates: [URL] = []
            if let executable = Bundle.main.executableURL {
                candidates.append(executable.deletingLastPathComponent().appendingPathComponent("pgcdc"))
            }
            let argument0 = URL(fileURLWithPath: CommandLine.arguments[0])
            candidates.append(argument0.deletingLastPathComponent().appendingPathComponent("pgcdc"))
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            candidates.append(root.appendingPathComponent(".build/debug/pgcdc"))
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw BinaryMissing(candidates: candidates.map(\.path))
            }
            return found
        }
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        var candidates: [String]
        var description: String {
            "pgcdc was not built (looked at \(candidates.joined(separator: ", "))): run swift build"
        }
    }

    /// Starts `pgcdc` with the test environment minus every `PGCDC_*`/`PYPGCDC_*` variable, plus `environment`.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> PGCDCProcess {
        let process = Process()
        process.executableURL = try self.binary
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("PGCDC_") && !$0.key.hasPrefix("PYPGCDC_")
        }
        variables["NO_COLOR"] = "1"
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        let directory = FileManager.default.temporaryDirectory
        let name = UUID().uuidString
        let stdoutPath = directory.appendingPathComponent("pgcdc-\(name).out").path
        let stderrPath = directory.appendingPathComponent("pgcdc-\(name).err").path
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return PGCDCProcess(process: process, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    /// Runs `pgcdc` to the end.
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> Result {
        try await self.start(arguments, environment: environment).wait(timeout: timeout)
    }

    /// Waits until stdout contains `text`.
    func waitForOutput(containing text: String, timeout: Duration = .seconds(30)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if ((try? String(contentsOfFile: self.stdoutPath, encoding: .utf8)) ?? "").contains(text) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits for the exit; a run past `timeout` is terminated and recorded as an issue.
    func wait(timeout: Duration = .seconds(60)) async throws -> Result {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            if ContinuousClock.now > deadline {
                Issue.record("pgcdc \(self.process.arguments ?? []) did not exit within \(timeout)")
                kill(self.pid, SIGKILL)
                self.process.waitUntilExit()
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let result = Result(
            status: self.process.terminationStatus,
            stdout: (try? String(contentsOfFile: self.stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: self.stderrPath, encoding: .utf8)) ?? ""
        )
        try? FileManager.default.removeItem(atPath: self.stdoutPath)
        try? FileManager.default.removeItem(atPath: self.stderrPath)
        return result
    }

    /// The pids whose command line mentions `text` (read from /proc; nothing is signalled).
    static func processes(mentioning text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard Int(entry) != nil,
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return false }
            return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text)
        }
    }
}
