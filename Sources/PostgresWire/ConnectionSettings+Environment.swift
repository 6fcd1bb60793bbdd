#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConnectionSettings {
    /// Builds the settings from parsed pairs, the environment and libpq's defaults, validating every value.
    /// - Parameters:
    ///   - options: the pairs as written; a later pair for the same keyword wins.
    ///   - environment: the variables to fall back on.
    /// - Returns: the settings.
    /// - Throws: ``PostgresWireError/Code/invalidConnectionString`` naming the keyword (or variable) and the bad
    ///   value; a password is never shown.
    static func resolve(
        _ options: [ConnectionOption],
        environment: [String: String]
    ) throws(PostgresWireError) -> ConnectionSettings {
        var given: [String: String] = [:]
        for option in options {
            given[option.keyword] = option.value
        }
        let values = ResolvedValues(given: given, environment: environment)

        let endpoints = try Self.endpoints(values)
        guard let user = values["user"]?.value ?? Self.operatingSystemUserName() else {
            throw PostgresWireError(
                .invalidConnectionString,
                "No user name given and the operating system user could not be determined; set user= or PGUSER"
            )
        }

        var sslMode = SSLMode.prefer
        if let mode = values["sslmode"] {
            guard let parsed = SSLMode(rawValue: mode.value) else {
                throw Self.invalidValue(
                    mode,
                    expected: SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            sslMode = parsed
        }

        var targetSessionAttributes = TargetSessionAttributes.any
        if let attributes = values["target_session_attrs"] {
            guard let parsed = TargetSessionAttributes(rawValue: attributes.value) else {
                throw Self.invalidValue(
                    attributes,
                    expected: TargetSessionAttributes.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            targetSessionAttributes = parsed
        }

        var connectTimeout: Duration?
        if let timeout = values["connect_timeout"] {
            guard let seconds = Int(timeout.value.trimmingASCIISpaces) else {
                throw Self.invalidValue(timeout, expected: "a whole number of seconds")
            }
            // libpq: zero or negative means no limit, and 1 is raised to 2 seconds.
            if seconds > 0 {
                connectTimeout = .seconds(max(seconds, 2))
            }
        }

        if let encoding = values["client_encoding"] {
            let normalized = encoding.value.lowercased().filter { $0 != "-" && $0 != "_" }
            guard normalized == "utf8" || normalized == "unicode" else {
                throw Self.invalidValue(encoding, expected: "UTF8 (the only encoding this client speaks)")
            }
        }

        return ConnectionSettings(
            endpoints: endpoints,
            user: user,
            database: values["dbname"]?.value,
            password: values["password"]?.value,
            sslMode: sslMode,
            sslRootCert: values["sslrootcert"]?.value,
            sslCert: values["sslcert"]?.value,
            sslKey: values["sslkey"]?.value,
            applicationName: values["application_name"]?.value ?? values["fallback_application_name"]?.value,
            connectTimeout: connectTimeout,
            targetSessionAttributes: targetSessionAttributes,
            passFile: values["passfile"]?.value,
            options: values["options"]?.value
        )
    }

    /// Pairs up the host, hostaddr and port lists, as libpq does.
    private static func endpoints(_ values: ResolvedValues) throws(PostgresWireError) -> [Endpoint] {
        var hosts = values["host"].map { Self.list($0.value) } ?? [""]
        if let addresses = values["hostaddr"] {
            let addressList = Self.list(addresses.value)
            if values["host"] == nil {
                hosts = addressList
            } else {
                guard addressList.count == hosts.count else {
                    throw PostgresWireError(
                        .invalidConnectionString,
                        "Could not match \(hosts.count) host names to \(addressList.count) hostaddr values"
                    )
                }
                hosts = zip(hosts, addressList).map { host, address in address.isEmpty ? host : address }
            }
        }

        var ports = [Self.defaultPort]
        if let portValue = values["port"] {
            let portList = Self.list(portValue.value)
            guard portList.count == 1 || portList.count == hosts.count else {
                throw PostgresWireError(
                    .invalidConnectionString,
                    "Could not match \(portList.count) port numbers to \(hosts.count) hosts "
                        + "(give one port for all hosts or one per host)"
                )
            }
            var parsed: [Int] = []
            for text in portList {
                if text.trimmingASCIISpaces.isEmpty {
                    parsed.append(Self.defaultPort)
                    continue
                }
                guard let port = Int(text.trimmingASCIISpaces), (1...65535).contains(port) else {
                    throw Self.invalidValue(
                        ResolvedValue(value: text, keyword: portValue.keyword, variable: portValue.variable),
                        expected: "a port number from 1 to 65535"
                    )
                }
                parsed.append(port)
            }
            ports = parsed
        }

        return hosts.enumerated().map { position, host in
            Endpoint(
                host: host.isEmpty ? Self.defaultHost : host,
                port: ports.count == 1 ? ports[0] : ports[position]
            )
        }
    }

    /// Splits a comma-separated libpq list, keeping empty entries (they mean "the default").
    private static func list(_ value: String) -> [String] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
    }

    /// An error naming a keyword and its bad value; the value of `password` is never shown.
    private static func invalidValue(_ value: ResolvedValue, expected: String) -> PostgresWireError {
        let source = value.variable.map { "\"\(value.keyword)\" (from \($0))" } ?? "\"\(value.keyword)\""
        let shown = value.keyword == "password" ? "" : " \"\(value.value)\""
        return PostgresWireError(
            .invalidConnectionString,
            "Invalid value\(shown) for connection option \(source); expected \(expected)"
        )
    }

    /// The path of the password file: `passfile`, else `PGPASSFILE`, else `.pgpass` in the home directory.
    static func passFilePath(explicit: String?, environment: [String: String]) -> String? {
        if let explicit, !explicit.isEmpty {
            return explicit
        }
        if let fromEnvironment = environment["PGPASSFILE"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        guard let home = nonEmpty(environment["HOME"]) ?? Self.operatingSystemHomeDirectory() else {
            return nil
        }
        return home.hasSuffix("/") ? home + ".pgpass" : home + "/.pgpass"
    }

    /// The effective user's name from the user database (`getpwuid(geteuid())`), as libpq takes it.
    static func operatingSystemUserName() -> String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else {
            return nil
        }
        return nonEmpty(String(cString: name))
    }

    /// The effective user's home directory from the user database.
    static func operatingSystemHomeDirectory() -> String? {
        guard let entry = getpwuid(geteuid()), let directory = entry.pointee.pw_dir else {
            return nil
        }
        return nonEmpty(String(cString: directory))
    }
}

/// A value of a keyword and where it came from (the connection string, or an environment variable).
private struct ResolvedValue {
    var value: String
    var keyword: String
    /// The environment variable it came from; `nil` when the connection string gave it.
    var variable: String?
}

/// The connection string's values with libpq's environment fallback; an empty value counts as not given.
private struct ResolvedValues {
    let given: [String: String]
    let environment: [String: String]

    subscript(keyword: String) -> ResolvedValue? {
        if let value = nonEmpty(self.given[keyword]) {
            return ResolvedValue(value: value, keyword: keyword, variable: nil)
        }
        if let variable = ConnectionSettings.keywords[keyword] ?? nil,
            let value = nonEmpty(self.environment[variable])
        {
            return ResolvedValue(value: value, keyword: keyword, variable: variable)
        }
        return nil
    }
}

private func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}

extension String {
    /// The string without leading and trailing ASCII whitespace (libpq's integer parsing allows it).
    fileprivate var trimmingASCIISpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = self.firstIndex(where: { !isSpace($0) }),
            let last = self.lastIndex(where: { !isSpace($0) })
        else {
            return ""
        }
        return self[first...last]
    }
}
