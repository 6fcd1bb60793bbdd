import PostgresWire
import Synchronization

/// Tracks what the consumer acknowledged and forwards it to the current replication connection (which
/// changes on reconnect).
///
/// The acknowledged position only moves forward (except after a failover, see ``reset(to:)``), and it survives
/// reconnects: streaming resumes after it. Positions reach the server only through ``forward(_:)``, after the
/// gate (the ``CheckpointKeeper`` of the current connection) has made them durable; while no gate is installed
/// (between connections, during slot setup) they wait, and the next gate persists them first.
final class Acknowledger: Sendable {
    private struct State {
        var acknowledged: LSN
        var forwarded: LSN
        var feedback: ReplicationFeedback?
        var gate: (@Sendable (LSN) -> Void)?
        var listeners: [@Sendable (LSN) -> Void] = []
    }

    private let state: Mutex<State>

    init(start: LSN) {
        self.state = Mutex(State(acknowledged: start, forwarded: start, feedback: nil, gate: nil))
    }

    /// The highest position acknowledged so far.
    var acknowledged: LSN { self.state.withLock { $0.acknowledged } }

    /// Acknowledges everything up to `lsn`; the gate persists it before it is forwarded.
    func acknowledge(_ lsn: LSN) {
        let (gate, listeners) = self.state.withLock {
            state -> ((@Sendable (LSN) -> Void)?, [@Sendable (LSN) -> Void]) in
            guard lsn > state.acknowledged else { return (nil, []) }
            state.acknowledged = lsn
            return (state.gate, state.listeners)
        }
        for listener in listeners { listener(lsn) }
        gate?(lsn)
    }

    /// Sends a position that the gate made durable to the server.
    func forward(_ lsn: LSN) {
        let feedback: ReplicationFeedback? = self.state.withLock { state in
            guard lsn > state.forwarded else { return nil }
            state.forwarded = lsn
            return state.feedback
        }
        feedback?.acknowledge(lsn)
    }

    /// Calls `listener` after every acknowledgement.
    func onAcknowledge(_ listener: @escaping @Sendable (LSN) -> Void) {
        self.state.withLock { $0.listeners.append(listener) }
    }

    /// Positions pass through `gate` before they are forwarded (nil: they wait for the next gate).
    func setGate(_ gate: (@Sendable (LSN) -> Void)?) {
        self.state.withLock { $0.gate = gate }
    }

    /// Routes acknowledgements to a new connection's stream (and reports the forwarded position to it).
    func attach(_ feedback: ReplicationFeedback?) {
        let position = self.state.withLock { state in
            state.feedback = feedback
            return state.forwarded
        }
        if position > .zero { feedback?.acknowledge(position) }
    }

    /// After a failover the positions of the old timeline mean nothing on the new slot or timeline: start over
    /// at `lsn`.
    func reset(to lsn: LSN) {
        self.state.withLock { state in
            state.acknowledged = lsn
            state.forwarded = lsn
        }
    }
}
