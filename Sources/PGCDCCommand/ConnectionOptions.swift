import ArgumentParser
import PostgresWire

/// The connection option shared by every subcommand that talks to a server.
struct ConnectionOptions: ParsableArguments {
    /// The default when neither `--dsn` nor an environment variable gives one (the seed's default).
    static let defaultDSN = "postgres://postgres:postgrespw@localhost:5432/test"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The connection string: a postgres:// URI or key=value pairs; several hosts for failover.",
            discussion: "Env: PGCDC_DSN or PYPGCDC_DSN. Default: \(Self.defaultDSN). PGHOST, PGPASSWORD, "
                + "~/.pgpass and the other libpq variables fill what the string leaves out.",
            valueName: "dsn"
        )
    )
    var dsn: String?

    /// The connection string: the option, else `PGCDC_DSN`/`PYPGCDC_DSN`, else the default.
    /// - Parameter environment: where to look.
    /// - Returns: the string.
    func resolvedDSN(in environment: Environment) -> String {
        self.dsn ?? environment.value("PGCDC_DSN", "PYPGCDC_DSN") ?? Self.defaultDSN
    }

    /// The parsed settings.
    /// - Parameter environment: where to look.
    /// - Returns: the settings.
    /// - Throws: ``PostgresWireError`` when the string is invalid.
    func settings(in environment: Environment) throws(PostgresWireError) -> ConnectionSettings {
        try ConnectionSettings.parse(self.resolvedDSN(in: environment), environment: environment.variables)
    }
}
