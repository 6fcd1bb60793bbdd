import ArgumentParser
import Logging
import PGOutput
import PostgresCDC
import PostgresWire
import Testing

@testable import PGCDCCommand

/// Parses `pgcdc <arguments>` and returns the stream command.
private func stream(_ arguments: [String]) throws -> StreamCommand {
    let command = try PGCDC.parseAsRoot(["stream"] + arguments)
    return try #require(command as? StreamCommand)
}

private func resolve(_ arguments: [String], env: [String: String] = [:]) throws -> ResolvedStreamOptions {
    let command = try stream(arguments)
    return try command.options.resolve(connection: command.connection, environment: Environment(variables: env))
}

@Suite("pgcdc stream: options, environment variables, defaults")
struct StreamOptionsParsingTests {
    @Test("without options or variables: the seed's defaults")
    func defaults() throws {
        let command = try stream([])
        let resolved = try command.options.resolve(
            connection: command.connection,
            environment: Environment(variables: [:])
        )
        #expect(resolved.slot == "test_slot")
        #expect(resolved.publications == ["test_publication"])
        #expect(resolved.startLSN == .zero)
        #expect(resolved.endLSN == nil)
        #expect(resolved.verbose == false)
        #expect(resolved.createSlot == true)
        #expect(resolved.snapshot == .initial)
        #expect(resolved.statusInterval == 10)
        #expect(
            command.connection.resolvedDSN(in: Environment(variables: [:]))
                == "postgres://postgres:postgrespw@localhost:5432/test"
        )
    }

    @Test("every option lands in the pipeline configuration")
    func allOptions() throws {
        let command = try stream([
            "--dsn", "postgres://u:p@db.example:6543/shop", "--slot", "s1", "--publication", "a, b",
            "--lsn", "0/16B3748", "--end-lsn", "1/0", "--verbose", "--output", "/tmp/out.jsonl",
            "--max-changes", "5", "--protocol-version", "2", "--binary", "--streaming", "--messages",
            "--no-create-slot", "--temporary-slot", "--status-interval", "2.5", "--snapshot", "never",
            "--snapshot-workers", "3", "--log-level", "debug",
        ])
        let environment = Environment(variables: [:])
        let resolved = try command.options.resolve(connection: command.connection, environment: environment)
        let configuration = resolved.configuration(connection: try command.connection.settings(in: environment))
        #expect(configuration.slot == "s1")
        #expect(configuration.publications == ["a", "b"])
        #expect(configuration.startLSN == LSN(0x16B3748))
        #expect(configuration.endLSN == LSN(1 << 32))
        #expect(configuration.protocolVersion?.rawValue == 2)
        #expect(configuration.binary && configuration.streaming && configuration.messages)
        #expect(configuration.createSlot == false)
        #expect(configuration.temporarySlot == true)
        #expect(configuration.failoverSlot == false)
        #expect(configuration.replication.statusInterval == .milliseconds(2500))
        #expect(configuration.connection.endpoints == [.init(host: "db.example", port: 6543)])
        #expect(configuration.connection.database == "shop")
        #expect(resolved.verbose)
        #expect(resolved.outputPath == "/tmp/out.jsonl")
        #expect(resolved.maxChanges == 5)
        #expect(resolved.snapshot == .never)
        #expect(resolved.snapshotWorkers == 3)
        #expect(resolved.logLevel == .debug)
    }

    @Test("the seed's PYPGCDC_* variables are honoured")
    func seedVariables() throws {
        let env = [
            "PYPGCDC_DSN": "postgres://seed@h:1/d", "PYPGCDC_SLOT": "seed_slot",
            "PYPGCDC_PUBLICATION": "seed_pub", "PYPGCDC_LSN": "0/10", "PYPGCDC_VERBOSE": "yes",
        ]
        let command = try stream([])
        let resolved = try command.options.resolve(
            connection: command.connection,
            environment: Environment(variables: env)
        )
        #expect(resolved.slot == "seed_slot")
        #expect(resolved.publications == ["seed_pub"])
        #expect(resolved.startLSN == LSN(0x10))
        #expect(resolved.verbose)
        #expect(command.connection.resolvedDSN(in: Environment(variables: env)) == "postgres://seed@h:1/d")
    }

    @Test("PGCDC_* wins over PYPGCDC_*, and an option wins over both")
    func precedence() throws {
        let env = ["PGCDC_SLOT": "new", "PYPGCDC_SLOT": "old", "PGCDC_VERBOSE": "0", "PYPGCDC_VERBOSE": "1"]
        #expect(try resolve([], env: env).slot == "new")
        #expect(try resolve([], env: env).verbose == false)
        #expect(try resolve(["--slot", "flag"], env: env).slot == "flag")
        #expect(try resolve(["--create-slot"], env: ["PGCDC_CREATE_SLOT": "false"]).createSlot == true)
        #expect(try resolve([], env: ["PGCDC_CREATE_SLOT": "false"]).createSlot == false)
        #expect(try resolve([], env: ["PGCDC_MAX_CHANGES": "12", "PGCDC_SNAPSHOT": "initial-only"]).maxChanges == 12)
        #expect(try resolve([], env: ["PGCDC_SNAPSHOT": "initial-only"]).snapshot == .initialOnly)
        #expect(
            try resolve(["--failover-slot"]).configuration(connection: .init(endpoints: [], user: "u")).failoverSlot
        )
    }

    @Test(
        "bad values are refused with a message naming the option",
        arguments: [
            (["--lsn", "nope"], "--lsn"),
            (["--end-lsn", "12"], "--end-lsn"),
            (["--max-changes", "0"], "--max-changes"),
            (["--protocol-version", "5"], "--protocol-version"),
            (["--status-interval", "0"], "--status-interval"),
            (["--snapshot-workers", "0"], "--snapshot-workers"),
            (["--log-level", "loud"], "--log-level"),
            (["--publication", " , "], "--publication"),
            (["--failover-slot", "--temporary-slot"], "--failover-slot"),
        ]
    )
    func badValues(arguments: [String], option: String) throws {
        // validate() runs while parsing: the command line is refused before anything connects.
        let error = #expect(throws: (any Error).self) { try PGCDC.parseAsRoot(["stream"] + arguments) }
        let message = error.map { PGCDC.message(for: $0) } ?? ""
        #expect(message.contains(option), "\(message)")
        #expect(PGCDC.exitCode(for: error ?? ExitCode.success) == .validationFailure)
    }

    @Test("bad environment values are refused too")
    func badEnvironment() throws {
        #expect(throws: ValidationError.self) { try resolve([], env: ["PGCDC_MAX_CHANGES": "many"]) }
        #expect(throws: ValidationError.self) { try resolve([], env: ["PYPGCDC_LSN": "x/y"]) }
        #expect(throws: ValidationError.self) { try resolve([], env: ["PGCDC_SNAPSHOT": "sometimes"]) }
    }

    @Test("an unknown --snapshot mode is a usage error")
    func snapshotMode() {
        #expect(throws: (any Error).self) { try PGCDC.parseAsRoot(["stream", "--snapshot", "sometimes"]) }
        #expect(throws: (any Error).self) { try PGCDC.parseAsRoot(["stream", "--no-such-flag"]) }
    }

    @Test("the subcommands parse")
    func subcommands() throws {
        #expect(try PGCDC.parseAsRoot(["demo"]) is DemoCommand)
        #expect(try PGCDC.parseAsRoot(["doctor", "--publication", "p"]) is DoctorCommand)
        #expect(try PGCDC.parseAsRoot(["slot", "list"]) is SlotCommand.List)
        let create = try #require(try PGCDC.parseAsRoot(["slot", "create", "--slot", "x"]) as? SlotCommand.Create)
        #expect(create.slot == "x")
        #expect(try PGCDC.parseAsRoot(["slot", "drop", "--slot", "x", "--wait"]) is SlotCommand.Drop)
    }
}
