import CDCTestSupport
import Testing

@testable import PostgresWire

@Suite struct ReplicationStreamStateMachineTests {
    typealias Machine = ReplicationStreamStateMachine<ManualClock>
    typealias Status = Machine.Status

    func makeMachine(clock: ManualClock, start: LSN = LSN(100)) -> Machine {
        var machine = Machine(startLSN: start, statusInterval: .seconds(10), acknowledgementDelay: .milliseconds(100))
        #expect(machine.started(now: clock.now) == .none)
        return machine
    }

    @Test func flushNeverIncludesUnacknowledgedData() {
        let clock = ManualClock()
        var machine = self.makeMachine(clock: clock)
        #expect(machine.xlogDataReceived(walStart: LSN(500)) == .none)
        #expect(machine.xlogDataReceived(walStart: LSN(900)) == .none)
        clock.advance(by: .seconds(10))
        // The heartbeat reports what was received as written, but flushed stays at the start position.
        #expect(
            machine.tick(now: clock.now)
                == .sendStatus(Status(written: LSN(900), flushed: LSN(100), replyRequested: false))
        )
    }

    @Test func heartbeatIsSentOnTheIntervalWithoutAnyTraffic() {
        let clock = ManualClock()
        var machine = self.makeMachine(clock: clock)
        clock.advance(by: .seconds(9))
        #expect(machine.tick(now: clock.now) == .none)
        clock.advance(by: .seconds(1))
        #expect(
            machine.tick(now: clock.now)
                == .sendStatus(Status(written: LSN(100), flushed: LSN(100), replyRequested: false))
        )
        clock.advance(by: .seconds(5))
        #expect(machine.tick(now: clock.now) == .none)
        clock.advance(by: .seconds(5))
        #expect(machine.tick(now: clock.now) != .none)
    }

    @Test func keepaliveAskingForReplyIsAnsweredAtOnce() {
        let clock = ManualClock()
        var machine = self.makeMachine(clock: clock)
        clock.advance(by: .milliseconds(1))
        #expect(machine.keepaliveReceived(walEnd: LSN(4000), replyRequested: false, now: clock.now) == .none)
        #expect(
            machine.keepaliveReceived(walEnd: LSN(4000), replyRequested: true, now: clock.now)
                == .sendStatus(Status(written: LSN(100), flushed: LSN(100), replyRequested: false))
        )
    }

    @Test func acknowledgementsAreBatchedForTheDelayThenSent() {
        let clock = ManualClock()
        var machine = self.makeMachine(clock: clock)
        #expect(machine.acknowledge(LSN(200), now: clock.now, immediately: false) == .none)
        #expect(machine.acknowledge(LSN(300), now: clock.now, immediately: false) == .none)
        clock.advance(by: .milliseconds(50))
        #expect(machine.tick(now: clock.now) == .none)
        clock.advance(by: .milliseconds(50))
        #expect(
            machine.tick(now: clock.now)
                == .sendStatus(Status(written: LSN(300), flushed: LSN(300), replyRequested: false))
        )
        #expect(machine.hasUnsentAcknowledgement == false)
    }

    @Test func immediateAcknowledgementIsSentNow() {
        let clock = ManualClock()
        var machine = self.makeMachine(clock: clock)
        #expect(
            machine.acknowledge(LSN(250), now: clock.now, immediately: true)
                == .sendStatus(Status(written: LSN(250), flushed: LSN(250), replyRequested: false))
        )
    }

    @Test func acknowledgementsNeverMoveBackwards() {
        let clock = ManualClock()
        var machine = self.makeMachine(clock: clock)
        _ = machine.acknowledge(LSN(700), now: clock.now, immediately: true)
        #expect(machine.acknowledge(LSN(300), now: clock.now, immediately: false) == .none)
        #expect(machine.flushed == LSN(700))
        #expect(
            machine.stopping(now: clock.now)
                == .sendStatus(Status(written: LSN(700), flushed: LSN(700), replyRequested: false))
        )
    }

    @Test func zeroStartReportsInvalidFlushUntilAcknowledged() {
        let clock = ManualClock()
        var machine = self.makeMachine(clock: clock, start: .zero)
        clock.advance(by: .seconds(10))
        #expect(
            machine.tick(now: clock.now) == .sendStatus(Status(written: .zero, flushed: .zero, replyRequested: false))
        )
    }
}
