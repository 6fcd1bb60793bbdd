import ArgumentParser
import Foundation
import Logging
import PostgresCDC
import PostgresNIO

/// `pgcdc failover install|uninstall|status`: the trigger-based log tables that let a consumer recover the
/// changes its slot lost in a failover.
struct FailoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Install, check or remove the failover log tables (recovery of a slot lost in a failover).",
        discussion: """
            Triggers on every table of the publication copy each change into log tables in their own schema; after \
            a failover to a standby without the slot, pgcdc stream recovers the changes it had not acknowledged from \
            them. Run the commands on the primary (the first primary among the hosts of --dsn is used). See \
            docs/failover.md.
            """,
        subcommands: [Install.self, Uninstall.self, Status.self]
    )

    /// The options every failover subcommand takes.
    struct Options: ParsableArguments {
        @OptionGroup var connection: ConnectionOptions

        @Option(
            help:
                "The publication whose tables are logged (env PGCDC_PUBLICATION, PYPGCDC_PUBLICATION; default test_publication)."
        )
        var publication: String?

        @Option(help: "The schema of the log tables (env PGCDC_LOG_SCHEMA; default \(LogTables.defaultSchema)).")
        var schema: String?

        /// The publication: the option, else the variables, else the default.
        /// - Parameter environment: the variables.
        /// - Returns: the name.
        func resolvedPublication(in environment: Environment) -> String {
            environment.publication(self.publication)
        }

        /// The log tables: the option, else `PGCDC_LOG_SCHEMA`, else `pgcdc`.
        /// - Parameter environment: the variables.
        /// - Returns: the log tables.
        func logTables(in environment: Environment) -> LogTables {
            LogTables(schema: self.schema ?? environment.value("PGCDC_LOG_SCHEMA") ?? LogTables.defaultSchema)
        }

        func validate() throws {
            if let schema = self.schema, schema.isEmpty { throw ValidationError("--schema needs a schema name.") }
            if let publication = self.publication, publication.isEmpty {
                throw ValidationError("--publication needs a publication name.")
            }
        }

        /// Connects to the primary and runs `body` with the SQL connection.
        /// - Parameters:
        ///   - environment: the variables.
        ///   - body: the library call.
        /// - Returns: what `body` returns.
        /// - Throws: `ExitCode.failure` after printing the error.
        func withPrimary<Result: Sendable>(
            in environment: Environment,
            _ body: (LogTables, String, Logger, PostgresConnection) async throws -> Result
        ) async throws -> Result {
            let logger = Terminal.logger(level: .warning)
            let tables = self.logTables(in: environment)
            let publication = self.resolvedPublication(in: environment)
            do {
                let settings = try self.connection.settings(in: environment)
                return try await LogTables.withConnection(to: settings, logger: logger) { connection in
                    try await body(tables, publication, logger, connection)
                }
            } catch {
                throw Terminal.fail(error)
            }
        }
    }

    /// `pgcdc failover install`.
    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the log tables and the triggers on every table of the publication (idempotent)."
        )

        @OptionGroup var options: Options

        @Option(
            name: .customLong("grant-to"),
            help: ArgumentHelp(
                "Also grant this consumer role what it needs on the log tables.",
                discussion:
                    "USAGE on the schema, SELECT and DELETE on change_log, SELECT, INSERT and UPDATE on checkpoint.",
                valueName: "role"
            )
        )
        var grantTo: String?

        func validate() throws {
            if let role = self.grantTo, role.isEmpty { throw ValidationError("--grant-to needs a role name.") }
        }

        func run() async throws {
            let environment = Environment.process
            try await self.options.withPrimary(in: environment) { tables, publication, logger, primary in
                let installed = try await tables.install(publication: publication, on: primary, logger: logger)
                // Printed before the grant: the install is committed even when the grant then fails.
                print(
                    "installed the failover log tables in schema \(tables.schema) and triggers on "
                        + "\(installed.count) table(s) of publication \(publication)"
                )
                for table in installed { print("  \(table)") }
                if let role = self.grantTo {
                    try await tables.grant(to: role, on: primary, logger: logger)
                    print("granted role \(role) the use of the log tables")
                }
            }
        }
    }

    /// `pgcdc failover uninstall`.
    struct Uninstall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop the log tables' schema with the triggers; pending entries are lost."
        )

        @OptionGroup var options: Options

        func run() async throws {
            let environment = Environment.process
            let schema = try await self.options.withPrimary(in: environment) { tables, _, logger, primary in
                try await tables.uninstall(on: primary, logger: logger)
                return tables.schema
            }
            print("removed the failover log tables and their triggers (schema \(schema))")
        }
    }

    /// `pgcdc failover status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Whether every published table is logged, the log's size and oldest entry; exit 1 when recovery would not be lossless."
        )

        @OptionGroup var options: Options

        func run() async throws {
            let environment = Environment.process
            let (schema, status) = try await self.options.withPrimary(in: environment) {
                tables,
                publication,
                logger,
                primary in
                (tables.schema, try await tables.status(publication: publication, on: primary, logger: logger))
            }
            for line in FailoverStatusReport.lines(status, schema: schema) { print(line) }
            for problem in status.problems { Terminal.printError("problem: \(problem)") }
            if !status.problems.isEmpty { throw ExitCode.failure }
        }
    }
}
