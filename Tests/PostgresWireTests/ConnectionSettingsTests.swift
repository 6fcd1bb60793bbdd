import PostgresWire
import Testing

@Suite struct ConnectionSettingsTests {
    typealias Endpoint = ConnectionSettings.Endpoint

    /// One connection string, the environment it is parsed with, and what libpq would make of it.
    struct Case: Sendable, CustomTestStringConvertible {
        var string: String
        var environment: [String: String] = ["PGUSER": "env_user"]
        var expected: ConnectionSettings
        var testDescription: String { self.string.isEmpty ? "(empty string)" : self.string }
    }

    static let uriCases: [Case] = [
        Case(
            string: "postgresql://",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost", port: 5432)], user: "env_user")
        ),
        Case(
            string: "postgres://alice@db.example.com/app",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "db.example.com")], user: "alice", database: "app")
        ),
        Case(
            string: "postgresql://alice:s3cr%40t%2Fx@db.example.com:6543/app",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "db.example.com", port: 6543)],
                user: "alice",
                database: "app",
                password: "s3cr@t/x"
            )
        ),
        Case(
            string: "postgresql://u:a+b:c@h/d",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "h")], user: "u", database: "d", password: "a+b:c")
        ),
        Case(
            string: "postgresql://%2Fvar%2Frun%2Fpostgresql/app",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "/var/run/postgresql")],
                user: "env_user",
                database: "app"
            )
        ),
        Case(
            string: "postgresql://[::1]:5433/app",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "::1", port: 5433)],
                user: "env_user",
                database: "app"
            )
        ),
        Case(
            string: "postgresql://[fe80::1%25lo]/app",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "fe80::1%lo")], user: "env_user", database: "app")
        ),
        Case(
            string: "postgresql://a:1,b:2,[::1]:3/app?target_session_attrs=read-write",
            expected: ConnectionSettings(
                endpoints: [
                    Endpoint(host: "a", port: 1), Endpoint(host: "b", port: 2), Endpoint(host: "::1", port: 3),
                ],
                user: "env_user",
                database: "app",
                targetSessionAttributes: .readWrite
            )
        ),
        Case(
            string: "postgresql://a:6000,b/app",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "a", port: 6000), Endpoint(host: "b", port: 5432)],
                user: "env_user",
                database: "app"
            )
        ),
        Case(
            string: "postgresql:///app?host=/tmp&port=5544&user=bob&sslmode=verify-full&sslrootcert=/ca.pem"
                + "&sslcert=/c.pem&sslkey=/k.pem&application_name=my%20app&connect_timeout=10&passfile=/pw",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "/tmp", port: 5544)],
                user: "bob",
                database: "app",
                sslMode: .verifyFull,
                sslRootCert: "/ca.pem",
                sslCert: "/c.pem",
                sslKey: "/k.pem",
                applicationName: "my app",
                connectTimeout: .seconds(10),
                passFile: "/pw"
            )
        ),
        Case(
            string: "postgresql://h/app?ssl=true",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "h")],
                user: "env_user",
                database: "app",
                sslMode: .require
            )
        ),
        Case(
            string: "postgresql://u@h:1/db?host=other&dbname=x",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "other", port: 1)], user: "u", database: "x")
        ),
        Case(
            string: "postgresql://h/db?options=-c%20synchronous_commit%3Doff&replication=database&client_encoding=UTF8",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "h")],
                user: "env_user",
                database: "db",
                options: "-c synchronous_commit=off"
            )
        ),
        Case(
            string: "postgresql://h/db?password=p%26w&",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "h")],
                user: "env_user",
                database: "db",
                password: "p&w"
            )
        ),
    ]

    static let keyValueCases: [Case] = [
        Case(
            string: "host=localhost port=5432 dbname=mydb user=me",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "me", database: "mydb")
        ),
        Case(
            string: "  host = h  port= 5433\tdbname =db user=u  ",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "h", port: 5433)], user: "u", database: "db")
        ),
        Case(
            string: #"user=u password='it\'s a \\ secret' application_name='my app'"#,
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "localhost")],
                user: "u",
                password: #"it's a \ secret"#,
                applicationName: "my app"
            )
        ),
        Case(
            string: #"user=u password=pa\ ss"#,
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "u", password: "pa ss")
        ),
        Case(
            string: "user=u password='' dbname=''",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "u", database: "u")
        ),
        Case(
            string: "host=a,b,c port=5433 user=u",
            expected: ConnectionSettings(
                endpoints: [
                    Endpoint(host: "a", port: 5433), Endpoint(host: "b", port: 5433), Endpoint(host: "c", port: 5433),
                ],
                user: "u"
            )
        ),
        Case(
            string: "host=a,b port=1,2 user=u",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "a", port: 1), Endpoint(host: "b", port: 2)],
                user: "u"
            )
        ),
        Case(
            string: "host=a,,/tmp port=1,,3 user=u",
            expected: ConnectionSettings(
                endpoints: [
                    Endpoint(host: "a", port: 1), Endpoint(host: "localhost", port: 5432),
                    Endpoint(host: "/tmp", port: 3),
                ],
                user: "u"
            )
        ),
        Case(
            string: "hostaddr=127.0.0.2 user=u",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "127.0.0.2")], user: "u")
        ),
        Case(
            string: "host=db.example.com,b hostaddr=127.0.0.2, user=u",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "127.0.0.2"), Endpoint(host: "b")], user: "u")
        ),
        Case(
            string: "user=u application_name=a fallback_application_name=b",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "u", applicationName: "a")
        ),
        Case(
            string: "user=u fallback_application_name=b",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "u", applicationName: "b")
        ),
        Case(
            string: "user=u user=v",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "v")
        ),
        Case(
            string: "user=u connect_timeout=1",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "localhost")],
                user: "u",
                connectTimeout: .seconds(2)
            )
        ),
        Case(
            string: "user=u connect_timeout=0",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "u")
        ),
        Case(
            string: "user=u connect_timeout=-5",
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "u")
        ),
        Case(
            string: "user=u target_session_attrs=prefer-standby sslmode=disable options='-c a=b'",
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "localhost")],
                user: "u",
                sslMode: .disable,
                targetSessionAttributes: .preferStandby,
                options: "-c a=b"
            )
        ),
    ]

    static let environmentCases: [Case] = [
        Case(
            string: "",
            environment: [
                "PGHOST": "h1,h2", "PGPORT": "1,2", "PGUSER": "u", "PGPASSWORD": "pw", "PGDATABASE": "d",
                "PGSSLMODE": "require", "PGSSLROOTCERT": "/ca", "PGSSLCERT": "/c", "PGSSLKEY": "/k", "PGAPPNAME": "app",
                "PGCONNECT_TIMEOUT": "7", "PGTARGETSESSIONATTRS": "standby", "PGPASSFILE": "/pass",
                "PGOPTIONS": "-c x=y",
            ],
            expected: ConnectionSettings(
                endpoints: [Endpoint(host: "h1", port: 1), Endpoint(host: "h2", port: 2)],
                user: "u",
                database: "d",
                password: "pw",
                sslMode: .require,
                sslRootCert: "/ca",
                sslCert: "/c",
                sslKey: "/k",
                applicationName: "app",
                connectTimeout: .seconds(7),
                targetSessionAttributes: .standby,
                passFile: "/pass",
                options: "-c x=y"
            )
        ),
        Case(
            string: "host=x dbname=mine",
            environment: ["PGHOST": "y", "PGUSER": "u", "PGDATABASE": "theirs", "PGPORT": "6000"],
            expected: ConnectionSettings(endpoints: [Endpoint(host: "x", port: 6000)], user: "u", database: "mine")
        ),
        Case(
            string: "postgresql://h",
            environment: ["PGHOST": "", "PGUSER": "u", "PGAPPNAME": "", "PGSSLMODE": ""],
            expected: ConnectionSettings(endpoints: [Endpoint(host: "h")], user: "u")
        ),
        Case(
            string: "",
            environment: ["PGHOST": "", "PGUSER": "u"],
            expected: ConnectionSettings(endpoints: [Endpoint(host: "localhost")], user: "u")
        ),
        Case(
            string: "user=u",
            environment: ["PGHOSTADDR": "127.0.0.3", "PGCLIENTENCODING": "utf-8"],
            expected: ConnectionSettings(endpoints: [Endpoint(host: "127.0.0.3")], user: "u")
        ),
    ]

    @Test(arguments: uriCases)
    func parsesURIs(_ testCase: Case) throws {
        #expect(try ConnectionSettings.parse(testCase.string, environment: testCase.environment) == testCase.expected)
    }

    @Test(arguments: keyValueCases)
    func parsesKeyValueStrings(_ testCase: Case) throws {
        #expect(try ConnectionSettings.parse(testCase.string, environment: testCase.environment) == testCase.expected)
    }

    @Test(arguments: environmentCases)
    func fallsBackOnTheEnvironment(_ testCase: Case) throws {
        #expect(try ConnectionSettings.parse(testCase.string, environment: testCase.environment) == testCase.expected)
    }

    @Test func passwordIsParsedButNotCompared() throws {
        // The table compares whole values; make sure a password difference is visible to `==`.
        let a = try ConnectionSettings.parse("user=u password=a", environment: [:])
        let b = try ConnectionSettings.parse("user=u password=b", environment: [:])
        #expect(a != b)
        #expect(a.password == "a")
    }

    @Test func defaultsToTheOperatingSystemUser() throws {
        let settings = try ConnectionSettings.parse("", environment: [:])
        #expect(!settings.user.isEmpty)
        #expect(settings.database == settings.user)
        #expect(settings.endpoints == [Endpoint(host: "localhost", port: 5432)])
        #expect(settings.sslMode == .prefer)
        #expect(settings.targetSessionAttributes == .any)
        #expect(settings.connectTimeout == nil)
    }

    @Test func endpoints() {
        let socket = Endpoint(host: "/var/run/postgresql", port: 5433)
        #expect(socket.isUnixSocket)
        #expect(socket.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5433")
        #expect(Endpoint(host: "/tmp/", port: 1).unixSocketPath == "/tmp/.s.PGSQL.1")
        let tcp = Endpoint(host: "db.example.com", port: 5432)
        #expect(!tcp.isUnixSocket)
        #expect(tcp.unixSocketPath == nil)
        #expect(tcp.description == "db.example.com:5432")
        #expect(Endpoint(host: "::1", port: 5432).description == "[::1]:5432")
    }

    @Test func initializerDefaults() {
        let settings = ConnectionSettings(endpoints: [], user: "u")
        #expect(settings.endpoints == [Endpoint(host: "localhost", port: 5432)])
        #expect(settings.database == "u")
        #expect(settings.sslMode == .prefer)
    }

    // MARK: - Errors

    /// A string that must not parse, and words the error must name.
    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var string: String
        var mentions: [String]
        var environment: [String: String] = ["PGUSER": "u"]
        var testDescription: String { self.string }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(string: "foo=bar user=u", mentions: ["\"foo\""]),
        ErrorCase(string: "postgresql://h/db?foo=bar", mentions: ["\"foo\""]),
        ErrorCase(string: "postgresql://h/db?%66oo=bar", mentions: ["\"foo\""]),
        ErrorCase(string: "sslmode=maybe", mentions: ["sslmode", "\"maybe\""]),
        ErrorCase(string: "postgresql://h/db?sslmode=maybe", mentions: ["sslmode", "\"maybe\""]),
        ErrorCase(string: "port=abc", mentions: ["port", "\"abc\""]),
        ErrorCase(string: "port=70000", mentions: ["port", "\"70000\""]),
        ErrorCase(string: "port=0", mentions: ["port", "\"0\""]),
        ErrorCase(string: "postgresql://h:70000/db", mentions: ["port", "\"70000\""]),
        ErrorCase(string: "postgresql://h:abc/db", mentions: ["port", "position 16"]),
        ErrorCase(string: "target_session_attrs=x", mentions: ["target_session_attrs", "\"x\""]),
        ErrorCase(string: "connect_timeout=ten", mentions: ["connect_timeout", "\"ten\""]),
        ErrorCase(string: "client_encoding=LATIN1", mentions: ["client_encoding", "\"LATIN1\""]),
        ErrorCase(string: "host=a,b,c port=1,2", mentions: ["2 port numbers to 3 hosts"]),
        ErrorCase(string: "host=a,b hostaddr=127.0.0.1", mentions: ["2 host names to 1 hostaddr"]),
        ErrorCase(string: "user='unterminated", mentions: ["unterminated", "\"user\"", "position 6"]),
        ErrorCase(string: "user", mentions: ["missing \"=\"", "\"user\""]),
        ErrorCase(string: "user=u =x", mentions: ["empty keyword", "position 8"]),
        ErrorCase(string: "postgresql://h/db?x", mentions: ["no \"=\""]),
        ErrorCase(string: "postgresql://h/%zz", mentions: ["percent-encoding", "database name", "position 16"]),
        ErrorCase(string: "postgresql://h/a%4", mentions: ["percent-encoding"]),
        ErrorCase(string: "postgresql://h/%00", mentions: ["%00"]),
        ErrorCase(string: "postgresql://h/%FF", mentions: ["UTF-8"]),
        ErrorCase(string: "postgresql://[::1/db", mentions: ["\"]\""]),
        ErrorCase(string: "postgresql://[]/db", mentions: ["empty IPv6"]),
        ErrorCase(string: "postgresql://[::1]x/db", mentions: ["unexpected character", "position 19"]),
        ErrorCase(string: "postgresql://h/db?ssl=false", mentions: ["\"ssl\""]),
        ErrorCase(
            string: "user=u",
            mentions: ["sslmode", "PGSSLMODE", "\"bogus\""],
            environment: ["PGSSLMODE": "bogus"]
        ),
        ErrorCase(string: "user=u", mentions: ["port", "PGPORT"], environment: ["PGPORT": "x"]),
    ]

    @Test(arguments: errorCases)
    func rejectsInvalidStrings(_ testCase: ErrorCase) {
        let error = #expect(throws: PostgresWireError.self) {
            _ = try ConnectionSettings.parse(testCase.string, environment: testCase.environment)
        }
        #expect(error?.code == .invalidConnectionString)
        for word in testCase.mentions {
            #expect(error?.description.contains(word) == true, "\(error?.description ?? "no error") names \(word)")
        }
    }

    /// Connection strings with the password `hunter2` (or `hunter2 hunter3`) that fail to parse: the error must not
    /// show any part of the password, nor the whole string.
    @Test(arguments: [
        "password=hunter2 sslmode=maybe",
        "password=hunter2 hunter3 user=u",
        "password=hunter2 hunter3=x user=u",
        "password='hunter2",
        "password=hunter2 client_encoding=latin1",
        "postgresql://u:hunter2%zz@h/db",
        "postgresql://u:hunter2%00@h/db",
        "postgresql://u:hunter2/db",
        "postgresql://u:hunter2@h:99999/db",
        "postgresql://u:hunter2@h/db?sslmode=maybe",
        "postgresql://h/db?password=hunter2=x",
        "postgresql://h/db?password=hunter2%G0",
        "postgresql://h/db?password=hunter2%FF",
        "postgresql://h/db?password",
    ])
    func errorsNeverShowThePassword(string: String) {
        let error = #expect(throws: PostgresWireError.self) {
            _ = try ConnectionSettings.parse(string, environment: ["PGUSER": "u"])
        }
        guard let error else { return }
        for text in [error.description, error.debugDescription, String(describing: error), String(reflecting: error)] {
            #expect(!text.contains("hunter"), "\(text)")
        }
    }

    @Test func printedSettingsNeverShowThePassword() throws {
        let settings = try ConnectionSettings.parse(
            "postgresql://alice:hunter2@db.example.com:6543/app?application_name=my%20app",
            environment: [:]
        )
        #expect(settings.password == "hunter2")
        #expect(
            settings.redactedDescription
                == "host=db.example.com port=6543 user=alice dbname=app password=[redacted] sslmode=prefer "
                + "application_name='my app'"
        )
        var dumped = ""
        dump(settings, to: &dumped)
        for text in [
            settings.redactedDescription, settings.description, settings.debugDescription,
            String(describing: settings), String(reflecting: settings), "\(settings)", dumped,
        ] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
    }

    @Test func redactedDescriptionParsesBackWithoutThePassword() throws {
        let original = try ConnectionSettings.parse(
            #"host=a,/tmp port=1,2 user='o\'brien' dbname='my db' sslmode=verify-ca connect_timeout=5 "#
                + "target_session_attrs=read-only options='-c x=y'",
            environment: [:]
        )
        let reparsed = try ConnectionSettings.parse(original.redactedDescription, environment: [:])
        #expect(reparsed == original)
    }
}
