/// One `keyword=value` pair as written in a connection string, before the environment and defaults apply.
struct ConnectionOption: Sendable, Hashable {
    /// The libpq keyword, e.g. `host`.
    var keyword: String
    /// The value, unquoted and percent-decoded.
    var value: String
}

extension ConnectionSettings {
    /// The URI schemes libpq accepts.
    static let uriPrefixes = ["postgresql://", "postgres://"]

    /// The keywords we accept, with the environment variable libpq falls back on (`nil`: none).
    static let keywords: [String: String?] = [
        "host": "PGHOST",
        "hostaddr": "PGHOSTADDR",
        "port": "PGPORT",
        "dbname": "PGDATABASE",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT",
        "sslcert": "PGSSLCERT",
        "sslkey": "PGSSLKEY",
        "application_name": "PGAPPNAME",
        "fallback_application_name": nil,
        "connect_timeout": "PGCONNECT_TIMEOUT",
        "target_session_attrs": "PGTARGETSESSIONATTRS",
        "passfile": "PGPASSFILE",
        "options": "PGOPTIONS",
        "replication": nil,
        "client_encoding": "PGCLIENTENCODING",
    ]

    /// Checks that a keyword is one we accept.
    /// - Parameters:
    ///   - keyword: the keyword as written.
    ///   - echo: whether the keyword may be shown; `false` when it might be a piece of a password.
    ///   - position: where it starts (1-based character position), for the message.
    /// - Throws: ``PostgresWireError/Code/invalidConnectionString`` naming the keyword.
    static func checkKeyword(_ keyword: String, echo: Bool, position: Int) throws(PostgresWireError) {
        guard Self.keywords[keyword] == nil else { return }
        if keyword.isEmpty {
            throw PostgresWireError(
                .invalidConnectionString,
                "Connection string has an empty keyword at position \(position)"
            )
        }
        if echo {
            throw PostgresWireError(
                .invalidConnectionString,
                "Invalid connection option \"\(keyword)\" at position \(position)"
            )
        }
        throw PostgresWireError(
            .invalidConnectionString,
            "Invalid connection option at position \(position), right after the password "
                + "(quote a password that contains spaces: password='...')"
        )
    }
}
