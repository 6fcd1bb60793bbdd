import Foundation

/// The PostgreSQL server the integration tests run against, as printed by `scripts/test-cluster.sh start`.
///
/// Tests are gated with `@Test(.enabled(if: TestDatabase.isConfigured, ...))`. When `PGCDC_REQUIRE_POSTGRES=1`
/// (CI sets it) a missing server is a failure instead of a skip: see ``requireConfigured()``.
public enum TestDatabase {
    /// The environment the tests run in.
    public static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// True when `PGHOST` and `PGPORT` are set.
    public static var isConfigured: Bool {
        environment["PGHOST"] != nil && environment["PGPORT"] != nil
    }

    /// True when CI demands a real server (`PGCDC_REQUIRE_POSTGRES=1`).
    public static var isRequired: Bool {
        environment["PGCDC_REQUIRE_POSTGRES"] == "1"
    }

    /// Whether integration tests should run: configured, or required (then they fail loudly when not configured).
    public static var shouldRun: Bool { isConfigured || isRequired }

    /// The host (`PGHOST`, default 127.0.0.1).
    public static var host: String { environment["PGHOST"] ?? "127.0.0.1" }
    /// The port (`PGPORT`, default 5432).
    public static var port: Int { environment["PGPORT"].flatMap { Int($0) } ?? 5432 }
    /// The superuser (`PGUSER`, default postgres).
    public static var user: String { environment["PGUSER"] ?? "postgres" }
    /// The superuser's password (`PGPASSWORD`).
    public static var password: String? { environment["PGPASSWORD"] }
    /// The database (`PGDATABASE`, default postgres).
    public static var database: String { environment["PGDATABASE"] ?? "postgres" }

    /// The server's major version (`PGCDC_TEST_SERVER_VERSION`, e.g. 15 or 18), or `nil` when not set.
    public static var serverMajorVersion: Int? { value("PGCDC_TEST_SERVER_VERSION").flatMap { Int($0) } }

    /// The CA certificate of the server's TLS certificate (`PGCDC_TEST_SSL_ROOTCERT`), or `nil` when the server
    /// runs without TLS (the PG 18 build has none).
    ///
    /// The server certificate names only `localhost`: `verify-full` passes for host `localhost` and fails for
    /// `127.0.0.1`.
    public static var sslRootCertificatePath: String? { value("PGCDC_TEST_SSL_ROOTCERT") }

    /// The port of the streaming standby on 127.0.0.1 (`PGCDC_TEST_STANDBY_PORT`), or `nil` when there is none.
    public static var standbyPort: Int? { value("PGCDC_TEST_STANDBY_PORT").flatMap { Int($0) } }

    /// The cluster's base directory (`PGCDC_TEST_CLUSTER`): the argument of `scripts/test-cluster.sh crash-primary`,
    /// `promote`, `rebuild-standby` and `env`. `nil` when the server was not started by that script.
    public static var clusterDirectory: String? { value("PGCDC_TEST_CLUSTER") }

    /// The server's bin directory (`PGCDC_TEST_BINDIR`), holding `psql`, `pg_recvlogical` and the other tools of the
    /// same version, or `nil` when not set.
    public static var binDirectory: String? { value("PGCDC_TEST_BINDIR") }

    /// The value of an environment variable, with an empty value treated as unset.
    private static func value(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// The error thrown when a test needs the server and none is configured.
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "No PostgreSQL for the integration tests: run `scripts/test.sh` (it starts one), "
                + "or export PGHOST/PGPORT/PGUSER/PGPASSWORD from `scripts/test-cluster.sh start`."
        }
    }

    /// Throws ``NotConfigured`` when no server is configured.
    public static func requireConfigured() throws {
        guard isConfigured else { throw NotConfigured() }
    }
}
