import Logging
import PostgresWire

/// The demo's shop: schema, publication, and a scripted workload of small transactions.
enum DemoWorkload {
    /// The slot and publication name.
    static let name = "pgcdc_demo"
    /// The prefix of the logical message that marks the end of the workload (not shown).
    static let endMarkerPrefix = "pgcdc.demo.end"

    /// The schema and the publication.
    static let schema = """
        CREATE TABLE customers (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL,
            email text NOT NULL UNIQUE,
            balance numeric(12,2) NOT NULL DEFAULT 0,
            signed_up_at timestamptz NOT NULL DEFAULT now()
        );
        ALTER TABLE customers REPLICA IDENTITY FULL;
        CREATE TABLE customer_properties (
            customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
            key text NOT NULL,
            value jsonb NOT NULL,
            updated_at timestamp NOT NULL DEFAULT localtimestamp,
            PRIMARY KEY (customer_id, key)
        );
        CREATE PUBLICATION pgcdc_demo FOR TABLE customers, customer_properties;
        """

    /// One step: what the user is told, and the SQL.
    struct Step: Sendable {
        var caption: String
        var sql: String
    }

    /// The steps, one transaction each.
    static let steps: [Step] = [
        Step(
            caption: "three customers sign up (one transaction, three inserts)",
            sql: """
                INSERT INTO customers (name, email, balance) VALUES
                  ('Ada Lovelace', 'ada@example.com', 120.50),
                  ('Grace Hopper', 'grace@example.com', 99.99),
                  ('Alan Turing', 'alan@example.com', 0)
                """
        ),
        Step(
            caption: "their preferences are stored as jsonb",
            sql: """
                INSERT INTO customer_properties (customer_id, key, value)
                SELECT id, 'preferences', jsonb_build_object('newsletter', id % 2 = 1, 'tags', jsonb_build_array('vip', 'early'))
                FROM customers
                """
        ),
        Step(
            caption: "Ada tops up her balance (REPLICA IDENTITY FULL: the old row comes along)",
            sql: "UPDATE customers SET balance = balance + 1000.25 WHERE email = 'ada@example.com'"
        ),
        Step(
            caption: "Grace changes her preferences",
            sql: """
                UPDATE customer_properties SET value = value || '{"newsletter": true}', updated_at = localtimestamp
                WHERE customer_id = (SELECT id FROM customers WHERE email = 'grace@example.com')
                """
        ),
        Step(
            caption: "the application writes a logical message into the WAL",
            sql: "SELECT pg_logical_emit_message(true, 'shop.notice', 'flash sale starts now')"
        ),
        Step(
            caption: "Alan closes his account (the cascade deletes his properties too)",
            sql: "DELETE FROM customers WHERE email = 'alan@example.com'"
        ),
        Step(
            caption: "someone truncates the properties table",
            sql: "TRUNCATE customer_properties"
        ),
    ]

    /// Creates the schema, the publication and the slot.
    /// - Parameters:
    ///   - settings: the demo server.
    ///   - logger: for the connection.
    /// - Throws: ``PostgresWireError``.
    static func prepare(_ settings: ConnectionSettings, logger: Logger) async throws {
        try await ReplicationConnection.withConnection(to: settings, logger: logger) { connection in
            _ = try await connection.simpleQuery(Self.schema)
            _ = try await connection.createReplicationSlot(Self.name, snapshot: .nothing)
        }
    }

    /// Runs the steps with a pause between them, then writes the end marker.
    /// - Parameters:
    ///   - settings: the demo server.
    ///   - pause: the pause between steps.
    ///   - logger: for the connection.
    ///   - announce: called with each step's caption before it runs.
    /// - Throws: ``PostgresWireError`` or `CancellationError`.
    static func run(
        _ settings: ConnectionSettings,
        pause: Duration,
        logger: Logger,
        announce: @Sendable (String) -> Void
    ) async throws {
        try await ReplicationConnection.withConnection(to: settings, logger: logger) { connection in
            for step in Self.steps {
                try await Task.sleep(for: pause)
                announce(step.caption)
                _ = try await connection.simpleQuery(step.sql)
            }
            _ = try await connection.simpleQuery(
                "SELECT pg_logical_emit_message(true, '\(Self.endMarkerPrefix)', '')"
            )
        }
    }

    /// Drops the slot (the server is removed afterwards anyway; this keeps the demo honest about cleanup).
    static func dropSlot(_ settings: ConnectionSettings, logger: Logger) async {
        _ = try? await ReplicationConnection.withConnection(to: settings, logger: logger) { connection in
            try await connection.dropReplicationSlot(Self.name, wait: true)
        }
    }
}
