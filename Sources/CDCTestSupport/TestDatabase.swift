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
