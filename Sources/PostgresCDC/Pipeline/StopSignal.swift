import PostgresWire
import Synchronization

/// A graceful stop request that reaches whichever replication stream is open now or later.
final class StopSignal: Sendable {
    private let state = Mutex<(requested: Bool, feedback: ReplicationFeedback?)>((false, nil))

    /// Whether a stop was requested.
    var isRequested: Bool { self.state.withLock { $0.requested } }

    /// Asks the current stream (and any later one) to stop at the next transaction boundary.
    func request() {
        let feedback = self.state.withLock { state in
            state.requested = true
            return state.feedback
        }
        feedback?.requestStop()
    }

    /// Routes requests to a new stream; forwards a request made before it was open.
    func attach(_ feedback: ReplicationFeedback?) {
        let requested = self.state.withLock { state in
            state.feedback = feedback
            return state.requested
        }
        if requested { feedback?.requestStop() }
    }
}
