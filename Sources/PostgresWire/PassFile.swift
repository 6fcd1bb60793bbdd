import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A libpq password file (`~/.pgpass`): lines of `hostname:port:database:username:password`.
///
/// Each of the first four fields is a literal value or a lone `*` that matches anything; `\` makes the next
/// character literal (`\:`, `\\`, also in the password); lines starting with `#` and blank lines are skipped; a
/// line with fewer than five fields never matches. The first matching line wins.
struct PassFile: Sendable, Hashable {
    /// One field of a line: a wildcard or a literal (already unescaped).
    enum Field: Sendable, Hashable {
        case any
        case literal(String)

        func matches(_ value: String) -> Bool {
            switch self {
            case .any: true
            case .literal(let literal): literal == value
            }
        }
    }

    /// One usable line.
    struct Entry: Sendable, Hashable {
        var host: Field
        var port: Field
        var database: Field
        var user: Field
        var password: String
    }

    /// The usable lines, in file order.
    var entries: [Entry]

    /// Parses the text of a password file.
    /// - Parameter text: the file's contents.
    init(parsing text: String) {
        var entries: [Entry] = []
        // `\r\n` is one Character in Swift, and a newline.
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("#") {
                continue
            }
            if let entry = Self.entry(line) {
                entries.append(entry)
            }
        }
        self.entries = entries
    }

    /// Splits one line into four fields and the password; `nil` when it has fewer than five fields.
    private static func entry(_ line: Substring) -> Entry? {
        var fields: [Field] = []
        var current = ""
        var currentIsBareStar = true
        var index = line.startIndex
        while index < line.endIndex, fields.count < 4 {
            let character = line[index]
            index = line.index(after: index)
            if character == "\\" {
                guard index < line.endIndex else { return nil }
                current.append(line[index])
                currentIsBareStar = false
                index = line.index(after: index)
            } else if character == ":" {
                fields.append(current == "*" && currentIsBareStar ? .any : .literal(current))
                current = ""
                currentIsBareStar = true
            } else {
                current.append(character)
            }
        }
        guard fields.count == 4 else { return nil }
        // The password is the rest of the line, with `\` escapes removed.
        var password = ""
        var escaped = false
        for character in line[index...] {
            if escaped || character != "\\" {
                password.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return Entry(host: fields[0], port: fields[1], database: fields[2], user: fields[3], password: password)
    }

    /// The password of the first line that matches.
    /// - Parameters:
    ///   - host: the endpoint's host; a Unix socket directory also matches lines for `localhost`.
    ///   - port: the endpoint's port.
    ///   - database: the database name.
    ///   - user: the user name.
    /// - Returns: the password, or `nil` when no line matches.
    func password(host: String, port: Int, database: String, user: String) -> String? {
        let portText = String(port)
        let isUnixSocket = host.hasPrefix("/")
        for entry in self.entries {
            let hostMatches =
                entry.host.matches(host) || (isUnixSocket && entry.host.matches(ConnectionSettings.defaultHost))
            if hostMatches, entry.port.matches(portText), entry.database.matches(database), entry.user.matches(user) {
                return entry.password
            }
        }
        return nil
    }

    /// Reads a password file the way libpq does.
    /// - Parameter path: the file.
    /// - Returns: the parsed file, or `nil` when it is missing, not a regular file, unreadable, or when its
    ///   permissions give the group or others any access (libpq ignores such a file).
    /// - Throws: ``PostgresWireError/Code/passfile`` when the file cannot be examined for another reason.
    static func load(path: String) throws(PostgresWireError) -> PassFile? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let error = errno
            if error == ENOENT || error == ENOTDIR || error == EACCES {
                return nil
            }
            throw PostgresWireError(
                .passfile,
                "Could not examine the password file \(path): \(String(cString: strerror(error)))"
            )
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            return nil
        }
        guard status.st_mode & (S_IRWXG | S_IRWXO) == 0 else {
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return nil
        }
        return PassFile(parsing: String(decoding: data, as: UTF8.self))
    }
}
