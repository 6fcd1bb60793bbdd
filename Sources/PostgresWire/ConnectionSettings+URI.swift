extension ConnectionSettings {
    /// Splits a libpq connection URI into keyword=value pairs, in order.
    ///
    /// The form is `postgresql://[user[:password]@][host[:port][,...]][/dbname][?keyword=value[&...]]` (or
    /// `postgres://`), as in libpq: an IPv6 address is written in brackets (`[::1]:5432`), every part is
    /// percent-decoded (`%2Ftmp` is the socket directory `/tmp`, `%40` an `@`), query parameters may be any
    /// keyword and override the parts before them (`?host=/tmp`), and `ssl=true` means `sslmode=require`.
    /// - Parameter string: the URI, starting with its scheme.
    /// - Returns: the pairs in order; a later pair for the same keyword wins.
    /// - Throws: ``PostgresWireError/Code/invalidConnectionString`` naming the part (never the password) and the
    ///   position of the problem.
    static func parseURI(_ string: String) throws(PostgresWireError) -> [ConnectionOption] {
        let bytes = Array(string.utf8)
        guard let prefix = Self.uriPrefixes.first(where: { string.hasPrefix($0) }) else {
            throw PostgresWireError(.invalidConnectionString, "Connection URI must start with postgresql://")
        }
        var index = prefix.utf8.count
        var options: [ConnectionOption] = []

        func scan(until stops: Set<UInt8>) -> Range<Int> {
            let start = index
            while index < bytes.count, !stops.contains(bytes[index]) {
                index += 1
            }
            return start..<index
        }

        // User info: libpq looks for "@" before the first "/".
        var lookahead = index
        while lookahead < bytes.count, bytes[lookahead] != UInt8(ascii: "@"), bytes[lookahead] != UInt8(ascii: "/") {
            lookahead += 1
        }
        if lookahead < bytes.count, bytes[lookahead] == UInt8(ascii: "@") {
            let userRange = scan(until: [UInt8(ascii: ":"), UInt8(ascii: "@")])
            let user = try Self.percentDecoded(bytes[userRange], part: "user name")
            if !user.isEmpty {
                options.append(ConnectionOption(keyword: "user", value: user))
            }
            if bytes[index] == UInt8(ascii: ":") {
                index += 1
                let passwordRange = index..<lookahead
                let password = try Self.percentDecoded(
                    bytes[passwordRange],
                    part: "password"
                )
                if !password.isEmpty {
                    options.append(ConnectionOption(keyword: "password", value: password))
                }
            }
            index = lookahead + 1
        }

        // Hosts and ports: host[:port][,host[:port]...]
        var hosts: [String] = []
        var ports: [String] = []
        while true {
            var host: String
            if index < bytes.count, bytes[index] == UInt8(ascii: "[") {
                let openPosition = index
                index += 1
                let addressRange = scan(until: [UInt8(ascii: "]")])
                guard index < bytes.count else {
                    throw PostgresWireError(
                        .invalidConnectionString,
                        "Connection URI has no \"]\" to close the IPv6 address opened at position \(openPosition + 1)"
                    )
                }
                guard !addressRange.isEmpty else {
                    throw PostgresWireError(
                        .invalidConnectionString,
                        "Connection URI has an empty IPv6 address at position \(openPosition + 1)"
                    )
                }
                host = try Self.percentDecoded(bytes[addressRange], part: "host")
                index += 1
                if index < bytes.count, ![":", ",", "/", "?"].map({ UInt8(ascii: $0) }).contains(bytes[index]) {
                    throw PostgresWireError(
                        .invalidConnectionString,
                        "Connection URI has an unexpected character at position \(index + 1) after an IPv6 address "
                            + "(expected \":\", \",\", \"/\" or \"?\")"
                    )
                }
            } else {
                let hostRange = scan(until: [
                    UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "/"), UInt8(ascii: "?"),
                ])
                host = try Self.percentDecoded(bytes[hostRange], part: "host")
            }
            var port = ""
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                index += 1
                let portRange = scan(until: [UInt8(ascii: ","), UInt8(ascii: "/"), UInt8(ascii: "?")])
                port = try Self.percentDecoded(bytes[portRange], part: "port")
                guard port.allSatisfy(\.isASCII) && port.allSatisfy(\.isNumber) else {
                    // A missing "@" turns "user:password" into "host:port": never show what stood there.
                    throw PostgresWireError(
                        .invalidConnectionString,
                        "Connection URI has a port that is not a number at position \(portRange.lowerBound + 1)"
                    )
                }
            }
            hosts.append(host)
            ports.append(port)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { break }
            index += 1
        }
        let hostList = hosts.joined(separator: ",")
        if !hostList.isEmpty {
            options.append(ConnectionOption(keyword: "host", value: hostList))
        }
        let portList = ports.joined(separator: ",")
        if ports.contains(where: { !$0.isEmpty }) {
            options.append(ConnectionOption(keyword: "port", value: portList))
        }

        // Database name.
        if index < bytes.count, bytes[index] == UInt8(ascii: "/") {
            index += 1
            let databaseRange = scan(until: [UInt8(ascii: "?")])
            let database = try Self.percentDecoded(
                bytes[databaseRange],
                part: "database name"
            )
            if !database.isEmpty {
                options.append(ConnectionOption(keyword: "dbname", value: database))
            }
        }

        // Query parameters.
        if index < bytes.count, bytes[index] == UInt8(ascii: "?") {
            index += 1
            while index < bytes.count {
                let parameterRange = scan(until: [UInt8(ascii: "&")])
                if index < bytes.count {
                    index += 1
                }
                if parameterRange.isEmpty {
                    continue
                }
                options.append(try Self.queryParameter(bytes[parameterRange]))
            }
        }
        return options
    }

    /// Decodes one `keyword=value` query parameter of a URI (a slice of the whole URI, for positions).
    private static func queryParameter(
        _ bytes: ArraySlice<UInt8>
    ) throws(PostgresWireError) -> ConnectionOption {
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else {
            let keyword = String(decoding: bytes, as: UTF8.self)
            let what = Self.keywords[keyword] != nil ? " \"\(keyword)\"" : ""
            throw PostgresWireError(
                .invalidConnectionString,
                "Connection URI query parameter\(what) at position \(bytes.startIndex + 1) has no \"=\""
            )
        }
        let keyword = try Self.percentDecoded(
            bytes[bytes.startIndex..<equals],
            part: "query parameter name"
        )
        let valueBytes = bytes[(equals + 1)...]
        guard !valueBytes.contains(UInt8(ascii: "=")) else {
            throw PostgresWireError(
                .invalidConnectionString,
                "Connection URI query parameter at position \(bytes.startIndex + 1) has a second \"=\" (write it as %3D)"
            )
        }
        if keyword == "ssl" {
            guard valueBytes.elementsEqual("true".utf8) else {
                throw PostgresWireError(
                    .invalidConnectionString,
                    "Connection URI query parameter \"ssl\" accepts only \"true\" (use sslmode=...)"
                )
            }
            return ConnectionOption(keyword: "sslmode", value: SSLMode.require.rawValue)
        }
        try Self.checkKeyword(keyword, echo: true, position: bytes.startIndex + 1)
        let value = try Self.percentDecoded(
            valueBytes,
            part: keyword == "password" ? "password" : "value of \"\(keyword)\""
        )
        return ConnectionOption(keyword: keyword, value: value)
    }

    /// Percent-decodes one part of a URI (libpq rules: `%XX` with two hexadecimal digits, `%00` forbidden, and
    /// `+` is a plus sign, not a space).
    /// - Parameters:
    ///   - bytes: the encoded bytes, a slice of the whole URI (its indices give the positions in messages).
    ///   - part: what the bytes are, for the message; the bytes themselves are never shown.
    /// - Returns: the decoded text.
    /// - Throws: ``PostgresWireError/Code/invalidConnectionString`` naming the part and the position.
    static func percentDecoded(
        _ bytes: ArraySlice<UInt8>,
        part: String
    ) throws(PostgresWireError) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.endIndex,
                let high = Self.hexValue(bytes[index + 1]),
                let low = Self.hexValue(bytes[index + 2])
            else {
                throw PostgresWireError(
                    .invalidConnectionString,
                    "Connection URI has an invalid percent-encoding in the \(part) at position \(index + 1)"
                )
            }
            let value = high << 4 | low
            guard value != 0 else {
                throw PostgresWireError(
                    .invalidConnectionString,
                    "Connection URI has a forbidden %00 in the \(part) at position \(index + 1)"
                )
            }
            decoded.append(value)
            index += 3
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw PostgresWireError(
                .invalidConnectionString,
                "Connection URI has a \(part) at position \(bytes.startIndex + 1) that is not valid UTF-8 once decoded"
            )
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
