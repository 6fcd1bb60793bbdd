/// Quoting for the replication command grammar (and SQL).
public enum ReplicationCommandQuoting {
    /// A double-quoted identifier: `my "slot"` → `"my ""slot"""`.
    /// - Parameter identifier: the raw name.
    /// - Returns: the quoted form.
    public static func identifier(_ identifier: String) -> String {
        "\"" + identifier.replacingAll("\"", with: "\"\"") + "\""
    }

    /// A single-quoted string literal (standard_conforming_strings): `it's` → `'it''s'`.
    /// - Parameter value: the raw value.
    /// - Returns: the quoted form.
    public static func literal(_ value: String) -> String {
        "'" + value.replacingAll("'", with: "''") + "'"
    }

    /// The value of pgoutput's `publication_names` option: a comma-separated list in which every name is
    /// double-quoted, so names with commas, spaces, quotes or capitals survive pgoutput's parsing.
    /// - Parameter names: the publication names.
    /// - Returns: for example `"orders","Big Pub"`.
    public static func publicationNames(_ names: [String]) -> String {
        names.map(identifier).joined(separator: ",")
    }

    /// Checks a replication slot name: PostgreSQL allows only lower-case letters, digits and underscores, at
    /// most 63 bytes.
    /// - Parameter name: the slot name.
    /// - Returns: `nil` when valid, else why not.
    public static func slotNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "a replication slot name cannot be empty" }
        if name.utf8.count > 63 { return "replication slot name \"\(name)\" is longer than 63 bytes" }
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
        return allowed
            ? nil
            : "replication slot name \"\(name)\" may contain only lower case letters, digits and underscores"
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        result.reserveCapacity(self.utf8.count + 2)
        for character in self {
            if character == target {
                result += replacement
            } else {
                result.append(character)
            }
        }
        return result
    }
}
