public import ArgumentParser
import PostgresCDC

/// The `pgcdc` command: Change Data Capture from PostgreSQL.
public struct PGCDC: AsyncParsableCommand {
    /// The subcommands and help text.
    public static let configuration = CommandConfiguration(
        commandName: "pgcdc",
        abstract: "Change Data Capture from PostgreSQL over logical replication (pgoutput).",
        discussion: """
            Start with `pgcdc demo` (no setup: it runs a throwaway PostgreSQL), then point `pgcdc stream` at your \
            own database. Every option can also be set with an environment variable (see `pgcdc stream --help`).
            """,
        version: PostgresCDCVersion.string,
        subcommands: [StreamCommand.self, DemoCommand.self, SlotCommand.self, FailoverCommand.self, DoctorCommand.self]
    )

    /// Creates the command (ArgumentParser fills it).
    public init() {}
}
