import CDCTestSupport
import Testing

@Suite struct ServerConfigurationTests {
    @Test(.enabled(if: TestDatabase.shouldRun, "start Postgres with scripts/test-cluster.sh"))
    func serverIsConfigured() throws {
        try TestDatabase.requireConfigured()
    }
}
