public import Foundation

/// Where and how to connect to PostgreSQL, parsed from a libpq connection string.
///
/// Build it with ``parse(_:environment:)`` from a URI (`postgres://user@host:5432/db?sslmode=require`) or a
/// key=value string (`host=a,b port=5432 dbname=db`), with the same rules, environment variables (`PGHOST`,
/// `PGUSER`, ...) and defaults as libpq, or directly with
/// ``init(endpoints:user:database:password:sslMode:sslRootCert:sslCert:sslKey:applicationName:connectTimeout:targetSessionAttributes:passFile:options:)``.
///
/// One deliberate difference from libpq: when no host is given anywhere, the default is TCP to `localhost`, not
/// libpq's compiled-in Unix socket directory (which differs between builds: `/tmp`, `/var/run/postgresql`, ...).
/// Give `host=/var/run/postgresql` to use a socket.
///
/// ``description`` and ``debugDescription`` are ``redactedDescription``: printing or logging the settings never
/// shows the password.
public struct ConnectionSettings: Sendable, Hashable {
    /// One server to try: a host name, an IP address or a Unix socket directory, and a port.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// A host name, an IPv4 or IPv6 address (without brackets), or a Unix socket directory (starts with `/`).
        public var host: String
        /// The TCP port, or the number in the Unix socket's file name.
        public var port: Int

        /// Creates an endpoint.
        /// - Parameters:
        ///   - host: a host name, an IP address, or a Unix socket directory (starting with `/`).
        ///   - port: the port; PostgreSQL's default is 5432.
        public init(host: String, port: Int = ConnectionSettings.defaultPort) {
            self.host = host
            self.port = port
        }

        /// Whether ``host`` is a Unix socket directory (it starts with `/`), as libpq decides.
        public var isUnixSocket: Bool { self.host.hasPrefix("/") }

        /// The socket file to connect to, `<directory>/.s.PGSQL.<port>`, or `nil` for a TCP endpoint.
        public var unixSocketPath: String? {
            guard self.isUnixSocket else { return nil }
            let directory = self.host.hasSuffix("/") ? String(self.host.dropLast()) : self.host
            return "\(directory)/.s.PGSQL.\(self.port)"
        }

        /// `host:port`, with an IPv6 address in brackets (`[::1]:5432`).
        public var description: String {
            if self.host.contains(":") && !self.isUnixSocket {
                return "[\(self.host)]:\(self.port)"
            }
            return "\(self.host):\(self.port)"
        }
    }

    /// PostgreSQL's default port, 5432.
    public static let defaultPort = 5432
    /// The host used when none is given: TCP to `localhost` (libpq would use its default socket directory).
    public static let defaultHost = "localhost"

    /// The servers to try, in order. Never empty.
    public var endpoints: [Endpoint]
    /// The PostgreSQL role to log in as.
    public var user: String
    /// The password given in the connection string or `PGPASSWORD`; `nil` when none was given. The password file
    /// is consulted by ``password(for:environment:)``, not here.
    public var password: String?
    /// The database to connect to; libpq's default is the user name.
    public var database: String
    /// How TLS is used; libpq's default is ``SSLMode/prefer``.
    public var sslMode: SSLMode
    /// A file of trusted root certificates (PEM) for ``SSLMode/verifyCA`` and ``SSLMode/verifyFull``.
    public var sslRootCert: String?
    /// A client certificate file (PEM).
    public var sslCert: String?
    /// The client certificate's private key file (PEM).
    public var sslKey: String?
    /// The `application_name` to report to the server (`application_name`, else `PGAPPNAME`, else
    /// `fallback_application_name`).
    public var applicationName: String?
    /// How long to wait for each host while connecting; `nil` means no limit. libpq's rules: whole seconds,
    /// zero or negative means no limit, and 1 second is raised to 2.
    public var connectTimeout: Duration?
    /// Which kind of server a multi-host connection accepts.
    public var targetSessionAttributes: TargetSessionAttributes
    /// The password file named by `passfile` or `PGPASSFILE`; `nil` means `~/.pgpass`.
    public var passFile: String?
    /// Command-line options sent to the server at connection start (libpq's `options`, e.g. `-c geqo=off`).
    public var options: String?

    /// Creates settings from values.
    /// - Parameters:
    ///   - endpoints: the servers to try, in order; an empty list means `localhost:5432`.
    ///   - user: the role to log in as.
    ///   - database: the database; `nil` means the user name, as in libpq.
    ///   - password: the password; `nil` lets ``password(for:environment:)`` consult the password file.
    ///   - sslMode: how TLS is used.
    ///   - sslRootCert: trusted root certificates (PEM file).
    ///   - sslCert: a client certificate (PEM file).
    ///   - sslKey: the client certificate's key (PEM file).
    ///   - applicationName: the `application_name` to report.
    ///   - connectTimeout: how long to wait for each host; `nil` for no limit.
    ///   - targetSessionAttributes: which kind of server to accept.
    ///   - passFile: the password file; `nil` means `PGPASSFILE` or `~/.pgpass`.
    ///   - options: command-line options for the server.
    public init(
        endpoints: [Endpoint],
        user: String,
        database: String? = nil,
        password: String? = nil,
        sslMode: SSLMode = .prefer,
        sslRootCert: String? = nil,
        sslCert: String? = nil,
        sslKey: String? = nil,
        applicationName: String? = nil,
        connectTimeout: Duration? = nil,
        targetSessionAttributes: TargetSessionAttributes = .any,
        passFile: String? = nil,
        options: String? = nil
    ) {
        self.endpoints = endpoints.isEmpty ? [Endpoint(host: Self.defaultHost)] : endpoints
        self.user = user
        self.password = password
        self.database = database ?? user
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
        self.sslCert = sslCert
        self.sslKey = sslKey
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.targetSessionAttributes = targetSessionAttributes
        self.passFile = passFile
        self.options = options
    }

    /// Parses a libpq connection string: a URI (`postgres://` or `postgresql://`) or a key=value string.
    ///
    /// Parameters missing from the string come from the environment the way libpq takes them (`PGHOST`,
    /// `PGHOSTADDR`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`,
    /// `PGSSLKEY`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`, `PGTARGETSESSIONATTRS`, `PGPASSFILE`, `PGOPTIONS`,
    /// `PGCLIENTENCODING`), then from the defaults: host `localhost` (TCP, see the type's notes), port 5432, the
    /// operating system user, and the user name as the database. An empty value counts as not given.
    ///
    /// Accepted keywords: `host`, `hostaddr`, `port`, `dbname`, `user`, `password`, `sslmode`, `sslrootcert`,
    /// `sslcert`, `sslkey`, `application_name`, `fallback_application_name`, `connect_timeout`,
    /// `target_session_attrs`, `passfile`, `options`, `client_encoding` (only UTF8) and `replication` (ignored:
    /// the replication connection sets it itself). In a URI, `ssl=true` means `sslmode=require`, as in libpq.
    /// `host`, `hostaddr` and `port` may be comma-separated lists; `hostaddr`, when given, is the address
    /// connected to in place of the host name at the same position.
    ///
    /// - Parameters:
    ///   - string: the connection string; an empty string takes everything from the environment and defaults.
    ///   - environment: the variables to fall back on; the process environment by default.
    /// - Returns: the settings, with at least one endpoint.
    /// - Throws: ``PostgresWireError`` with code ``PostgresWireError/Code/invalidConnectionString`` naming the
    ///   unknown keyword, the bad value (never the password) or the position of a syntax error.
    public static func parse(
        _ string: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(PostgresWireError) -> ConnectionSettings {
        let trimmed = string.drop { $0.isWhitespace }
        let options: [ConnectionOption]
        if Self.uriPrefixes.contains(where: { trimmed.hasPrefix($0) }) {
            options = try Self.parseURI(String(trimmed))
        } else {
            options = try Self.parseKeyValue(string)
        }
        return try Self.resolve(options, environment: environment)
    }

    /// The password to use for one endpoint: ``password`` when it is set and not empty, else the first matching
    /// line of the password file (``passFile``, else `PGPASSFILE`, else `$HOME/.pgpass`), as libpq does.
    ///
    /// The file's lines are `hostname:port:database:username:password`; a field that is just `*` matches
    /// anything, `\:` and `\\` stand for `:` and `\`, and lines starting with `#` are comments. For a Unix socket
    /// endpoint, lines for `localhost` match (libpq does this for its default socket directory) as well as lines
    /// naming the directory. Like libpq on POSIX systems, the file is ignored (the result is `nil`) when it is not
    /// a regular file or when its permissions give the group or others any access; a missing or unreadable file
    /// also gives `nil`.
    ///
    /// - Parameters:
    ///   - endpoint: the server about to be connected to.
    ///   - environment: where `PGPASSFILE` and `HOME` are looked up; the process environment by default.
    /// - Returns: the password, or `nil` when there is none.
    /// - Throws: ``PostgresWireError`` with code ``PostgresWireError/Code/passfile`` when the file exists but
    ///   cannot be examined for another reason than a missing file or a permission.
    public func password(
        for endpoint: Endpoint,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(PostgresWireError) -> String? {
        if let password = self.password, !password.isEmpty {
            return password
        }
        guard let path = Self.passFilePath(explicit: self.passFile, environment: environment) else {
            return nil
        }
        guard let file = try PassFile.load(path: path) else {
            return nil
        }
        return file.password(host: endpoint.host, port: endpoint.port, database: self.database, user: self.user)
    }

    /// The settings as a key=value connection string without the password (shown as `password=[redacted]` when
    /// one is set): safe to log or show.
    public var redactedDescription: String {
        var parts: [String] = [
            "host=" + Self.quoted(self.endpoints.map(\.host).joined(separator: ",")),
            "port=" + self.endpoints.map { String($0.port) }.joined(separator: ","),
            "user=" + Self.quoted(self.user),
            "dbname=" + Self.quoted(self.database),
        ]
        if self.password != nil {
            parts.append("password=[redacted]")
        }
        parts.append("sslmode=\(self.sslMode.rawValue)")
        if let sslRootCert { parts.append("sslrootcert=" + Self.quoted(sslRootCert)) }
        if let sslCert { parts.append("sslcert=" + Self.quoted(sslCert)) }
        if let sslKey { parts.append("sslkey=" + Self.quoted(sslKey)) }
        if let applicationName { parts.append("application_name=" + Self.quoted(applicationName)) }
        if let connectTimeout { parts.append("connect_timeout=\(connectTimeout.components.seconds)") }
        if self.targetSessionAttributes != .any {
            parts.append("target_session_attrs=\(self.targetSessionAttributes.rawValue)")
        }
        if let passFile { parts.append("passfile=" + Self.quoted(passFile)) }
        if let options { parts.append("options=" + Self.quoted(options)) }
        return parts.joined(separator: " ")
    }

    /// Quotes a key=value string value the way libpq reads it back, when it needs quoting.
    private static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0.isWhitespace || $0 == "'" || $0 == "\\" }
        guard needsQuotes else { return value }
        var result = "'"
        for character in value {
            if character == "'" || character == "\\" {
                result.append("\\")
            }
            result.append(character)
        }
        return result + "'"
    }
}

extension ConnectionSettings: CustomStringConvertible, CustomDebugStringConvertible {
    /// ``redactedDescription``: no password.
    public var description: String { self.redactedDescription }

    /// ``redactedDescription``: no password.
    public var debugDescription: String { "ConnectionSettings(\(self.redactedDescription))" }
}

extension ConnectionSettings: CustomReflectable {
    /// The stored properties without the password, so that `dump(_:)` and debuggers do not show it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "endpoints": self.endpoints,
                "user": self.user,
                "password": self.password == nil ? "nil" : "[redacted]",
                "database": self.database,
                "sslMode": self.sslMode,
                "sslRootCert": self.sslRootCert as Any,
                "sslCert": self.sslCert as Any,
                "sslKey": self.sslKey as Any,
                "applicationName": self.applicationName as Any,
                "connectTimeout": self.connectTimeout as Any,
                "targetSessionAttributes": self.targetSessionAttributes,
                "passFile": self.passFile as Any,
                "options": self.options as Any,
            ],
            displayStyle: .struct
        )
    }
}
