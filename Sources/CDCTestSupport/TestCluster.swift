import Foundation
public import PostgresWire

/// A primary with a physical standby of its own, started by `scripts/test-cluster.sh` for one test: failover
/// tests crash and promote servers, which must never disturb the shared test server.
public final class TestCluster: Sendable {
    /// The cluster's base directory (the script's handle).
    public let base: String
    /// The server's major version.
    public let version: Int
    /// The superuser password (every role has it).
    public let password: String
    /// The two ports the primary and standby use; after each failover the standby is rebuilt on the crashed
    /// primary's port, so a two-host connection string stays valid.
    public let ports: [Int]

    /// Starts a primary and (by default) a standby.
    /// - Parameters:
    ///   - version: 15 or 18 (default: the version of the shared test server).
    ///   - standby: whether to build a standby.
    ///   - walLevel: the servers' `wal_level` (`replica` makes a server logical replication cannot use).
    /// - Returns: the cluster.
    public static func start(
        version: Int? = nil,
        standby: Bool = true,
        walLevel: String = "logical"
    ) throws
        -> TestCluster
    {
        let version = version ?? TestDatabase.serverMajorVersion ?? 15
        let exports = try run(
            ["start", "--version", String(version), "--wal-level", walLevel] + (standby ? ["--standby"] : [])
        )
        guard let base = exports["PGCDC_TEST_CLUSTER"], let password = exports["PGPASSWORD"],
            let primary = exports["PGPORT"].flatMap({ Int($0) })
        else {
            throw ScriptError(description: "test-cluster.sh start printed no cluster settings: \(exports)")
        }
        let standbyPort = exports["PGCDC_TEST_STANDBY_PORT"].flatMap { Int($0) }
        if standby && standbyPort == nil {
            throw ScriptError(description: "test-cluster.sh start printed no standby port: \(exports)")
        }
        return TestCluster(
            base: base,
            version: version,
            password: password,
            ports: [primary] + [standbyPort].compactMap { $0 }
        )
    }

    init(base: String, version: Int, password: String, ports: [Int]) {
        self.base = base
        self.version = version
        self.password = password
        self.ports = ports
    }

    /// Settings naming both servers, `target_session_attrs=read-write`: they follow the primary.
    /// - Parameter user: the role.
    /// - Returns: the settings.
    public func settings(user: String = "postgres") -> ConnectionSettings {
        var settings = ConnectionSettings(
            endpoints: self.ports.map { ConnectionSettings.Endpoint(host: "127.0.0.1", port: $0) },
            user: user,
            database: "postgres",
            password: self.password
        )
        settings.sslMode = .disable
        settings.connectTimeout = .seconds(5)
        settings.targetSessionAttributes = .readWrite
        return settings
    }

    /// Settings for one server (for example to ask the standby whether a slot is synced).
    public func settings(port: Int) -> ConnectionSettings {
        var settings = self.settings()
        settings.endpoints = [ConnectionSettings.Endpoint(host: "127.0.0.1", port: port)]
        settings.targetSessionAttributes = .any
        return settings
    }

    /// The current primary's and standby's ports.
    public func roles() throws -> (primary: Int, standby: Int?) {
        let exports = try Self.run(["env", self.base])
        guard let primary = exports["PGPORT"].flatMap({ Int($0) }) else {
            throw ScriptError(description: "test-cluster.sh env printed no PGPORT")
        }
        return (primary, exports["PGCDC_TEST_STANDBY_PORT"].flatMap { Int($0) })
    }

    /// Stops the primary at once (`pg_ctl -m immediate`).
    public func crashPrimary() throws { _ = try Self.run(["crash-primary", self.base]) }
    /// Stops the standby and keeps its files: it misses what the primary commits until it is started again.
    public func stopStandby() throws { _ = try Self.run(["stop-standby", self.base]) }
    /// Starts the stopped standby again (in recovery).
    public func startStandby() throws { _ = try Self.run(["start-standby", self.base]) }
    /// Promotes the standby.
    public func promote() throws { _ = try Self.run(["promote", self.base]) }
    /// Builds a new standby from the new primary on the crashed primary's port.
    public func rebuildStandby() throws {
        _ = try Self.run(["rebuild-standby", self.base, "--reuse-old-primary-port"])
    }
    /// Stops every server and removes the files.
    public func stop() { _ = try? Self.run(["stop", self.base]) }

    /// A failure of the script.
    public struct ScriptError: Error, CustomStringConvertible {
        public var description: String
        /// Creates an error.
        public init(description: String) { self.description = description }
    }

    /// Runs the script and parses its `export NAME=value` lines.
    ///
    /// The output goes through a file and the script is awaited with `waitpid`: servers the script starts
    /// inherit its descriptors, so a pipe would never see its end, and Foundation's `Process` does not always
    /// notice the exit.
    static func run(_ arguments: [String]) throws -> [String: String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/test-cluster.sh").path
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgcdc-cluster-\(UUID()).out")
            .path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let quoted = ([script] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = quoted.joined(separator: " ") + " > '\(outputPath)' < /dev/null"
        var pid: pid_t = 0
        let words: [String] = ["/bin/bash", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, argv, environ)
        guard spawned == 0 else {
            throw ScriptError(description: "could not run test-cluster.sh (posix_spawn: \(spawned))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status >> 8) & 0xFF
        guard status & 0x7F == 0, exitCode == 0 else {
            throw ScriptError(
                description: "test-cluster.sh \(arguments.joined(separator: " ")) failed (status \(status))"
            )
        }
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        var exports: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            var value = String(assignment[assignment.index(after: equals)...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            exports[String(assignment[..<equals])] = value
        }
        return exports
    }
}
