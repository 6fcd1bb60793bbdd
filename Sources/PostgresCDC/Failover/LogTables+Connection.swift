public import Logging
public import PostgresNIO
public import PostgresWire

extension LogTables {
    /// Opens a SQL connection to the primary among the settings' hosts, runs `body`, and closes it.
    ///
    /// Hosts are tried in order; a host in recovery (a standby) is skipped, because the log tables and triggers
    /// must be written on the primary.
    /// - Parameters:
    ///   - settings: the connection settings (all hosts of a multi-host connection string).
    ///   - logger: for the connection.
    ///   - body: what to do with the connection.
    /// - Returns: what `body` returns.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/connection`` when no host is a reachable primary, or what
    ///   `body` throws.
    public static func withConnection<Result: Sendable>(
        to settings: ConnectionSettings,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var lastError: (any Error)?
        let endpoints =
            settings.endpoints.isEmpty
            ? [ConnectionSettings.Endpoint(host: ConnectionSettings.defaultHost)] : settings.endpoints
        for endpoint in endpoints {
            let client: CatalogClient
            do {
                client = try await CatalogClient.connect(settings: settings, endpoint: endpoint, logger: logger)
            } catch {
                lastError = error
                continue
            }
            do {
                let rows = try await client.connection.query("SELECT pg_catalog.pg_is_in_recovery()", logger: logger)
                var inRecovery = false
                for try await value in rows.decode(Bool.self) { inRecovery = value }
                if inRecovery {
                    lastError = CDCError(.connection, "\(endpoint) is a standby")
                    await client.close()
                    continue
                }
                let result = try await body(client.connection)
                await client.close()
                return result
            } catch {
                await client.close()
                throw error
            }
        }
        throw CDCError(
            .connection,
            "no primary among the hosts of the connection string answered",
            underlying: lastError
        )
    }
}
