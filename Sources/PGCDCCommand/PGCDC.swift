public import ArgumentParser
import PostgresCDC

/// The `pgcdc` command: Change Data Capture from PostgreSQL.
public struct PGCDC: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pgcdc",
        abstract: "Change Data Capture from PostgreSQL over logical replication (pgoutput).",
        version: PostgresCDCVersion.string
    )

    public init() {}
}
