/// The feedback side of a CopyBoth replication stream: what we have received, what the consumer has made
/// durable, and when to tell the server.
///
/// Pure: no I/O, no clock reads (the time is passed in), no logs. Generic over the clock so that tests drive
/// time by hand.
///
/// - Important: the flushed position reported to the server is only ever what ``acknowledge(_:now:immediately:)``
///   was given. The received (write) position is never copied into it.
struct ReplicationStreamStateMachine<C: Clock> where C.Duration == Duration {
    struct Status: Equatable {
        var written: LSN
        var flushed: LSN
        var replyRequested: Bool
    }

    enum Action: Equatable {
        case none
        case sendStatus(Status)
    }

    /// The highest WAL position received.
    private(set) var written: LSN
    /// The highest position the consumer acknowledged.
    private(set) var flushed: LSN
    /// A status was asked for (acknowledgement) but not yet sent.
    private(set) var hasUnsentAcknowledgement = false
    private var lastStatusSent: C.Instant?
    /// How often a status update is sent even when nothing changed (pg_recvlogical's `--status-interval`).
    let statusInterval: Duration
    /// How long an acknowledgement may wait to be batched with later ones.
    let acknowledgementDelay: Duration

    /// - Parameters:
    ///   - startLSN: the position streaming starts at; reported as flushed until the consumer acknowledges more
    ///     (0/0 is reported as "invalid", which the server ignores).
    ///   - statusInterval: the heartbeat period.
    ///   - acknowledgementDelay: the longest an acknowledgement waits before it is sent.
    init(startLSN: LSN, statusInterval: Duration, acknowledgementDelay: Duration) {
        self.written = startLSN
        self.flushed = startLSN
        self.statusInterval = statusInterval
        self.acknowledgementDelay = acknowledgementDelay
    }

    /// The period at which the owner should call ``tick(now:)``.
    var tickInterval: Duration { min(self.statusInterval, self.acknowledgementDelay) }

    /// Streaming began: start the interval now.
    mutating func started(now: C.Instant) -> Action {
        self.lastStatusSent = now
        return .none
    }

    mutating func xlogDataReceived(walStart: LSN) -> Action {
        self.written = max(self.written, walStart)
        return .none
    }

    mutating func keepaliveReceived(walEnd: LSN, replyRequested: Bool, now: C.Instant) -> Action {
        guard replyRequested else { return .none }
        return self.send(now: now, replyRequested: false)
    }

    /// The consumer has made everything up to `lsn` durable.
    mutating func acknowledge(_ lsn: LSN, now: C.Instant, immediately: Bool) -> Action {
        guard lsn > self.flushed else {
            return immediately ? self.send(now: now, replyRequested: false) : .none
        }
        self.flushed = lsn
        self.written = max(self.written, lsn)
        self.hasUnsentAcknowledgement = true
        if immediately || self.elapsed(since: now) >= self.acknowledgementDelay {
            return self.send(now: now, replyRequested: false)
        }
        return .none
    }

    mutating func tick(now: C.Instant) -> Action {
        let elapsed = self.elapsed(since: now)
        if self.hasUnsentAcknowledgement && elapsed >= self.acknowledgementDelay {
            return self.send(now: now, replyRequested: false)
        }
        if elapsed >= self.statusInterval {
            return self.send(now: now, replyRequested: false)
        }
        return .none
    }

    /// We are ending the stream: a last status with everything acknowledged.
    mutating func stopping(now: C.Instant) -> Action {
        self.send(now: now, replyRequested: false)
    }

    private func elapsed(since now: C.Instant) -> Duration {
        guard let last = self.lastStatusSent else { return self.statusInterval }
        return last.duration(to: now)
    }

    private mutating func send(now: C.Instant, replyRequested: Bool) -> Action {
        self.lastStatusSent = now
        self.hasUnsentAcknowledgement = false
        return .sendStatus(Status(written: self.written, flushed: self.flushed, replyRequested: replyRequested))
    }
}
