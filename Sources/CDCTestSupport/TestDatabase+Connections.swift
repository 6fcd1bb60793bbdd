import Foundation
public import Logging
public import PostgresWire

extension TestDatabase {
    /// Connection settings for the test server.
    /// - Parameters:
    ///   - user: the role (the script makes `postgres`, `trusty`, `md5user`, `pwuser`, `cdc`, `repl`).
    ///   - password: defaults to `PGPASSWORD` (one password for every role).
    ///   - host: defaults to `PGHOST`.
    ///   - port: defaults to `PGPORT`.
    ///   - sslMode: defaults to `disable`.
    /// - Returns: settings that need no environment.
    public static func settings(
        user: String? = nil,
        password: String? = nil,
        host: String? = nil,
        port: Int? = nil,
        sslMode: SSLMode = .disable
    ) -> ConnectionSettings {
        var settings = ConnectionSettings(
            endpoints: [ConnectionSettings.Endpoint(host: host ?? self.host, port: port ?? self.port)],
            user: user ?? self.user,
            database: self.database,
            password: password ?? self.password
        )
        settings.sslMode = sslMode
        settings.connectTimeout = .seconds(10)
        return settings
    }

    /// A logger for tests: warnings and worse to stderr.
    public static var logger: Logger {
        var logger = Logger(label: "pgcdc.tests")
        logger.logLevel =
            ProcessInfo.processInfo.environment["PGCDC_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) }
            ?? .warning
        return logger
    }

    /// A name that no other test uses, for slots, publications and tables: lower case, digits, underscores.
    /// - Parameter prefix: what the object is for.
    /// - Returns: for example `t_slot_3f9a2c`.
    public static func uniqueName(_ prefix: String) -> String {
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        return "t_\(prefix)_\(suffix)"
    }

    /// Runs `body` with a walsender connection to the test server as the superuser.
    public static func withReplicationConnection<Result>(
        settings: ConnectionSettings? = nil,
        _ body: (ReplicationConnection) async throws -> Result
    ) async throws -> Result {
        try requireConfigured()
        return try await ReplicationConnection.withConnection(to: settings ?? self.settings(), logger: logger, body)
    }

    /// Runs SQL on the test server (through a walsender connection, which accepts simple-protocol SQL).
    /// - Parameter sql: statements.
    /// - Returns: the results.
    @discardableResult
    public static func execute(_ sql: String) async throws -> [SimpleQueryResult] {
        try await withReplicationConnection { try await $0.simpleQuery(sql) }
    }
}
