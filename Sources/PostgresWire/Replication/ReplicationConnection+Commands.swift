import Logging

extension ReplicationConnection {
    /// `IDENTIFY_SYSTEM`: the system identifier, timeline, WAL position and database.
    /// - Returns: the server's identification.
    /// - Throws: ``PostgresWireError``.
    public func identifySystem() async throws(PostgresWireError) -> SystemIdentification {
        let result = try await self.simpleQuery("IDENTIFY_SYSTEM").first
        guard let result, let systemID = result.firstValue("systemid"),
            let timeline = result.firstValue("timeline").flatMap({ UInt32($0) }),
            let position = result.firstValue("xlogpos").flatMap({ LSN($0) })
        else {
            throw self.error(.protocolViolation, "IDENTIFY_SYSTEM returned an unexpected result")
        }
        return SystemIdentification(
            systemID: systemID,
            timeline: timeline,
            xlogPosition: position,
            database: result.firstValue("dbname")
        )
    }

    /// `CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL plugin (...)`.
    ///
    /// - Parameters:
    ///   - name: lower-case letters, digits and underscores.
    ///   - plugin: the output plugin (default `pgoutput`).
    ///   - temporary: dropped when this connection ends (or on error).
    ///   - snapshot: export, use or ignore the slot's snapshot.
    ///   - twoPhase: decode prepared transactions at PREPARE (PostgreSQL 15+).
    ///   - failover: synchronize the slot to standbys (PostgreSQL 17+).
    /// - Returns: the slot's consistent point and exported snapshot.
    /// - Throws: ``PostgresWireError``: `.invalidArgument` for a bad name, `.unsupportedFeature` when the server
    ///   is too old for an option, `.server` (SQLSTATE 42710 when the slot exists).
    public func createReplicationSlot(
        _ name: String,
        plugin: String = "pgoutput",
        temporary: Bool = false,
        snapshot: SlotSnapshotAction = .export,
        twoPhase: Bool = false,
        failover: Bool = false
    ) async throws(PostgresWireError) -> CreatedReplicationSlot {
        if let problem = ReplicationCommandQuoting.slotNameProblem(name) {
            throw self.error(.invalidArgument, problem, slot: name)
        }
        let version = self.serverMajorVersion
        if failover && version < 17 {
            throw self.error(
                .unsupportedFeature,
                "failover slots need PostgreSQL 17 or later; this server is \(version)",
                slot: name
            )
        }
        if twoPhase && version < 15 {
            throw self.error(.unsupportedFeature, "two-phase decoding needs PostgreSQL 15 or later", slot: name)
        }
        var command = "CREATE_REPLICATION_SLOT \(ReplicationCommandQuoting.identifier(name))"
        if temporary { command += " TEMPORARY" }
        command += " LOGICAL \(ReplicationCommandQuoting.identifier(plugin))"
        if version >= 15 {
            var options = ["SNAPSHOT '\(snapshot.rawValue)'"]
            if twoPhase { options.append("TWO_PHASE true") }
            if failover { options.append("FAILOVER true") }
            command += " (\(options.joined(separator: ", ")))"
        } else {
            switch snapshot {
            case .export: command += " EXPORT_SNAPSHOT"
            case .use: command += " USE_SNAPSHOT"
            case .nothing: command += " NOEXPORT_SNAPSHOT"
            }
        }
        let result = try await self.simpleQuery(command, slot: name).first
        guard let result, let point = result.firstValue("consistent_point").flatMap({ LSN($0) }) else {
            throw self.error(.protocolViolation, "CREATE_REPLICATION_SLOT returned an unexpected result", slot: name)
        }
        self.logger.info(
            "replication slot created",
            metadata: ["pgcdc.slot": "\(name)", "pgcdc.lsn": "\(point)", "pgcdc.temporary": "\(temporary)"]
        )
        return CreatedReplicationSlot(
            name: result.firstValue("slot_name") ?? name,
            consistentPoint: point,
            snapshotName: result.firstValue("snapshot_name"),
            outputPlugin: result.firstValue("output_plugin")
        )
    }

    /// `DROP_REPLICATION_SLOT name [WAIT]`.
    /// - Parameters:
    ///   - name: the slot.
    ///   - wait: wait until the slot is no longer active instead of failing when it is.
    /// - Throws: ``PostgresWireError`` (`.server` with SQLSTATE 42704 when the slot does not exist, 55006 when
    ///   it is active and `wait` is false).
    public func dropReplicationSlot(_ name: String, wait: Bool = false) async throws(PostgresWireError) {
        if let problem = ReplicationCommandQuoting.slotNameProblem(name) {
            throw self.error(.invalidArgument, problem, slot: name)
        }
        _ = try await self.simpleQuery(
            "DROP_REPLICATION_SLOT \(ReplicationCommandQuoting.identifier(name))\(wait ? " WAIT" : "")",
            slot: name
        )
        self.logger.info("replication slot dropped", metadata: ["pgcdc.slot": "\(name)"])
    }

    /// `TIMELINE_HISTORY tli`: the history file of a timeline (timeline 1 has none).
    /// - Parameter timeline: a timeline greater than 1.
    /// - Returns: the parsed history.
    /// - Throws: ``PostgresWireError``.
    public func timelineHistory(_ timeline: UInt32) async throws(PostgresWireError) -> TimelineHistory {
        guard timeline > 1 else {
            throw self.error(.invalidArgument, "timeline 1 has no history file")
        }
        let result = try await self.simpleQuery("TIMELINE_HISTORY \(timeline)").first
        guard let result, let fileName = result.firstValue("filename"), var content = result.firstValue("content")
        else {
            throw self.error(.protocolViolation, "TIMELINE_HISTORY returned an unexpected result")
        }
        if content.hasPrefix("\\x"), let decoded = Self.decodeHex(content.dropFirst(2)) {
            content = decoded
        }
        guard let history = TimelineHistory(fileName: fileName, content: content) else {
            throw self.error(.protocolViolation, "the history file \(fileName) is malformed")
        }
        return history
    }

    /// `READ_REPLICATION_SLOT name` (PostgreSQL 15+; the server answers only for physical slots).
    /// - Parameter name: the slot.
    /// - Returns: its type and restart position, or `nil` when the slot does not exist.
    /// - Throws: ``PostgresWireError``: `.unsupportedFeature` before PostgreSQL 15; `.server` for a logical slot.
    public func readReplicationSlot(_ name: String) async throws(PostgresWireError) -> ReplicationSlotPosition? {
        guard self.serverMajorVersion >= 15 else {
            throw self.error(.unsupportedFeature, "READ_REPLICATION_SLOT needs PostgreSQL 15 or later", slot: name)
        }
        let result = try await self.simpleQuery(
            "READ_REPLICATION_SLOT \(ReplicationCommandQuoting.identifier(name))",
            slot: name
        ).first
        guard let type = result?.firstValue("slot_type") else { return nil }
        return ReplicationSlotPosition(
            slotType: type,
            restartLSN: result?.firstValue("restart_lsn").flatMap { LSN($0) },
            restartTimeline: result?.firstValue("restart_tli").flatMap { UInt32($0) }
        )
    }

    private static func decodeHex(_ hex: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for byte in hex.utf8 {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                bytes.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard high == nil else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
