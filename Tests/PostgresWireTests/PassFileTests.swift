import Foundation
import PostgresWire
import Testing

@Suite struct PassFileTests {
    typealias Endpoint = ConnectionSettings.Endpoint

    /// A temporary directory, removed when the test ends.
    final class TemporaryDirectory {
        let url: URL

        init() throws {
            self.url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "pgpass-tests-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
        }

        deinit {
            try? FileManager.default.removeItem(at: self.url)
        }

        /// Writes a file with the given permissions and returns its path.
        func write(_ text: String, name: String = "pgpass", permissions: Int = 0o600) throws -> String {
            let path = self.url.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
            return path
        }
    }

    /// The password the file gives for `host:port/database` as `user`.
    static func lookup(
        _ fileText: String,
        host: String = "db.example.com",
        port: Int = 5432,
        database: String = "app",
        user: String = "alice",
        permissions: Int = 0o600
    ) throws -> String? {
        let directory = try TemporaryDirectory()
        let path = try directory.write(fileText, permissions: permissions)
        let settings = ConnectionSettings(
            endpoints: [Endpoint(host: host, port: port)],
            user: user,
            database: database,
            passFile: path
        )
        return try settings.password(for: settings.endpoints[0], environment: [:])
    }

    @Test(arguments: [
        // (file, expected password) for db.example.com:5432, database app, user alice.
        ("db.example.com:5432:app:alice:exact\n", "exact"),
        ("*:*:*:*:anything\n", "anything"),
        ("db.example.com:*:*:alice:wild\n", "wild"),
        ("db.example.com:5432:app:alice:first\n*:*:*:*:second\n", "first"),
        ("*:*:*:*:second\ndb.example.com:5432:app:alice:first\n", "second"),
        ("other:5432:app:alice:no\ndb.example.com:5432:app:alice:yes\n", "yes"),
        ("db.example.com:5433:app:alice:no\n*:5432:app:bob:no\n*:5432:other:alice:no\n*:5432:app:alice:yes", "yes"),
        ("# comment:*:*:*:no\n\n*:*:*:*:after-comment\n", "after-comment"),
        ("db.example.com:5432:app:alice:crlf\r\n", "crlf"),
        (#"db.example.com:5432:app:alice:pa\:ss\\w\ord"#, #"pa:ss\word"#),
        ("db.example.com:5432:app:alice:a:b:c\n", "a:b:c"),
        ("db.example.com:5432:app:alice:\n*:*:*:*:next\n", ""),
        ("too:few:fields\n*:*:*:*:ok\n", "ok"),
        (#"\*:*:*:*:literal-star"# + "\n*:*:*:*:wildcard\n", "wildcard"),
        ("db.example.com:5432:app:alice:caf\u{E9}\n", "caf\u{E9}"),
    ])
    func findsTheFirstMatchingLine(file: String, expected: String) throws {
        #expect(try Self.lookup(file) == expected)
    }

    @Test func escapedColonInHostName() throws {
        #expect(try Self.lookup(#"odd\:host:5432:app:alice:x"#, host: "odd:host") == "x")
        #expect(try Self.lookup(#"\*:5432:app:alice:star"#, host: "*") == "star")
    }

    @Test func noMatchingLineGivesNil() throws {
        #expect(try Self.lookup("db.example.com:5433:app:alice:x\n") == nil)
        #expect(try Self.lookup("") == nil)
    }

    @Test func unixSocketMatchesLocalhostOrItsDirectory() throws {
        #expect(try Self.lookup("localhost:5432:app:alice:local\n", host: "/var/run/postgresql") == "local")
        #expect(try Self.lookup("/tmp:5432:app:alice:dir\n", host: "/tmp") == "dir")
        #expect(try Self.lookup("/tmp:5432:app:alice:dir\n", host: "/var/run/postgresql") == nil)
        #expect(try Self.lookup("localhost:5432:app:alice:local\n", host: "127.0.0.1") == nil)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o610, 0o601])
    func ignoresFilesOthersCanAccess(permissions: Int) throws {
        #expect(try Self.lookup("*:*:*:*:secret\n", permissions: permissions) == nil)
    }

    @Test(arguments: [0o600, 0o400])
    func usesPrivateFiles(permissions: Int) throws {
        #expect(try Self.lookup("*:*:*:*:secret\n", permissions: permissions) == "secret")
    }

    @Test func missingFileOrDirectoryGivesNil() throws {
        let directory = try TemporaryDirectory()
        for path in [directory.url.appendingPathComponent("missing").path, directory.url.path] {
            let settings = ConnectionSettings(endpoints: [], user: "alice", passFile: path)
            #expect(try settings.password(for: settings.endpoints[0], environment: [:]) == nil)
        }
    }

    @Test func explicitPasswordWinsAndEmptyOneDoesNot() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("*:*:*:*:from-file\n")
        let explicit = ConnectionSettings(endpoints: [], user: "alice", password: "given", passFile: path)
        #expect(try explicit.password(for: explicit.endpoints[0], environment: [:]) == "given")
        let empty = ConnectionSettings(endpoints: [], user: "alice", password: "", passFile: path)
        #expect(try empty.password(for: empty.endpoints[0], environment: [:]) == "from-file")
    }

    @Test func findsTheFileThroughTheEnvironment() throws {
        let directory = try TemporaryDirectory()
        let home = try directory.write("*:*:*:*:from-home\n", name: ".pgpass")
        let other = try directory.write("*:*:*:*:from-pgpassfile\n", name: "other")
        _ = home

        let settings = ConnectionSettings(endpoints: [], user: "alice")
        let endpoint = settings.endpoints[0]
        #expect(try settings.password(for: endpoint, environment: ["HOME": directory.url.path]) == "from-home")
        #expect(
            try settings.password(for: endpoint, environment: ["HOME": directory.url.path, "PGPASSFILE": other])
                == "from-pgpassfile"
        )

        // `passfile=` in the connection string, and PGPASSFILE at parse time, end up in `passFile`.
        let parsed = try ConnectionSettings.parse("user=alice passfile=\(other)", environment: [:])
        #expect(try parsed.password(for: endpoint, environment: ["HOME": directory.url.path]) == "from-pgpassfile")
        let fromEnvironment = try ConnectionSettings.parse("user=alice", environment: ["PGPASSFILE": other])
        #expect(fromEnvironment.passFile == other)
    }

    @Test func matchesEveryEndpointOfAMultiHostString() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("a:1:app:alice:pa\nb:2:app:alice:pb\n")
        let settings = try ConnectionSettings.parse(
            "host=a,b,c port=1,2,3 dbname=app user=alice passfile=\(path)",
            environment: [:]
        )
        let passwords = try settings.endpoints.map { endpoint throws(PostgresWireError) in
            try settings.password(for: endpoint, environment: [:])
        }
        #expect(passwords == ["pa", "pb", nil])
    }
}
