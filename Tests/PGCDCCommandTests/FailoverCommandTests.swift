import ArgumentParser
import Foundation
import PostgresCDC
import Testing

@testable import PGCDCCommand

/// `pgcdc failover` and the failover options of `pgcdc doctor`: parsing, the grants and the status lines.
@Suite("pgcdc failover: options, grants, status lines")
struct FailoverCommandTests {
    private let none = Environment(variables: [:])

    @Test("install: --publication, --schema and --grant-to are parsed")
    func install() throws {
        let command = try #require(
            try PGCDC.parseAsRoot([
                "failover", "install", "--dsn", "host=h", "--publication", "pub", "--schema", "Log Schema",
                "--grant-to", "cdc",
            ]) as? FailoverCommand.Install
        )
        #expect(command.options.resolvedPublication(in: self.none) == "pub")
        #expect(command.options.logTables(in: self.none).schema == "Log Schema")
        #expect(command.grantTo == "cdc")
        #expect(command.options.connection.resolvedDSN(in: self.none) == "host=h")
    }

    @Test("status and uninstall: the default schema is pgcdc; the variables fill what the options leave out")
    func defaults() throws {
        let status = try #require(try PGCDC.parseAsRoot(["failover", "status"]) as? FailoverCommand.Status)
        #expect(status.options.logTables(in: self.none).schema == "pgcdc")
        #expect(status.options.resolvedPublication(in: self.none) == "test_publication")
        let env = Environment(variables: ["PGCDC_LOG_SCHEMA": "cdc_log", "PGCDC_PUBLICATION": "envpub"])
        let uninstall = try #require(try PGCDC.parseAsRoot(["failover", "uninstall"]) as? FailoverCommand.Uninstall)
        #expect(uninstall.options.logTables(in: env).schema == "cdc_log")
        #expect(uninstall.options.resolvedPublication(in: env) == "envpub")
    }

    @Test("empty names and unknown subcommands are refused")
    func refused() {
        #expect(throws: (any Error).self) { try PGCDC.parseAsRoot(["failover", "install", "--grant-to", ""]) }
        #expect(throws: (any Error).self) { try PGCDC.parseAsRoot(["failover", "status", "--schema", ""]) }
        #expect(throws: (any Error).self) { try PGCDC.parseAsRoot(["failover", "repair"]) }
    }

    @Test("--grant-to grants exactly what a consumer needs, with quoted identifiers")
    func grants() {
        let statements = LogTables(schema: "Log \"x\"").grantStatements(to: "Robert'); DROP TABLE x;--")
        #expect(
            statements == [
                #"GRANT USAGE ON SCHEMA "Log ""x""" TO "Robert'); DROP TABLE x;--""#,
                #"GRANT SELECT, DELETE ON "Log ""x"""."change_log" TO "Robert'); DROP TABLE x;--""#,
                #"GRANT SELECT, INSERT, UPDATE ON "Log ""x"""."checkpoint" TO "Robert'); DROP TABLE x;--""#,
            ]
        )
    }

    @Test("status: one line per fact")
    func statusLines() {
        let table = LogTables.PublishedTable(relationID: 1, namespace: "public", name: "orders")
        let other = LogTables.PublishedTable(relationID: 2, namespace: "public", name: "Items")
        let status = LogTables.Status(
            isInstalled: true,
            publishedTables: [table, other],
            tablesWithoutTriggers: [other],
            entryCount: 12,
            transactionCount: 3,
            sizeInBytes: 3 * 1024 * 1024,
            oldestEntry: Date(timeIntervalSince1970: 1_700_000_000),
            tracksCommitTimestamps: false
        )
        #expect(
            FailoverStatusReport.lines(status, schema: "pgcdc") == [
                "log tables: installed (schema pgcdc)",
                "published tables: 2",
                #"tables without trigger: public."Items""#,
                "entries: 12 in 3 transaction(s)",
                "size: 3145728 bytes (3.0 MiB)",
                "oldest entry: 2023-11-14T22:13:20Z",
                "track_commit_timestamp: off",
            ]
        )
        #expect(status.problems.count == 2)
    }

    @Test("doctor: --log-schema and --standby are parsed")
    func doctor() throws {
        let command = try #require(
            try PGCDC.parseAsRoot(["doctor", "--log-schema", "cdc_log", "--standby", "host=standby port=5433"])
                as? DoctorCommand
        )
        #expect(command.logSchema == "cdc_log")
        #expect(command.standby == "host=standby port=5433")
    }
}
