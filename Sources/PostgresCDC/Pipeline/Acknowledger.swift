import PostgresWire
import Synchronization

/// Tracks what the consumer acknowledged and forwards it to the current replication connection (which
/// changes on reconnect).
///
/// The acknowledged position only moves forward, and it survives reconnects: streaming resumes after it.
final class Acknowledger: Sendable {
    private struct State {
        var acknowledged: LSN
        var feedback: ReplicationFeedback?
        var listeners: [@Sendable (LSN) -> Void] = []
    }

    private let state: Mutex<State>

    init(start: LSN) {
        self.state = Mutex(State(acknowledged: start, feedback: nil))
    }

    /// The highest position acknowledged so far.
    var acknowledged: LSN { self.state.withLock { $0.acknowledged } }

    /// Acknowledges everything up to `lsn`.
    func acknowledge(_ lsn: LSN, immediately: Bool = false) {
        let (feedback, listeners): (ReplicationFeedback?, [@Sendable (LSN) -> Void]) = self.state.withLock { state in
            guard lsn > state.acknowledged else { return (nil, []) }
            state.acknowledged = lsn
            return (state.feedback, state.listeners)
        }
        feedback?.acknowledge(lsn, immediately: immediately)
        for listener in listeners { listener(lsn) }
    }

    /// Routes acknowledgements to a new connection's stream (and reports the current position to it).
    func attach(_ feedback: ReplicationFeedback?) {
        let position = self.state.withLock { state in
            state.feedback = feedback
            return state.acknowledged
        }
        if position > .zero { feedback?.acknowledge(position) }
    }

    /// Calls `listener` after every acknowledgement (for checkpoint stores).
    func onAcknowledge(_ listener: @escaping @Sendable (LSN) -> Void) {
        self.state.withLock { $0.listeners.append(listener) }
    }

}
