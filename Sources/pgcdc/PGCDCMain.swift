import ArgumentParser
import Dispatch
import PGCDCCommand

/// The `pgcdc` executable: everything it does lives in `PGCDCCommand`.
@main
enum PGCDCMain {
    static func main() {
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await PGCDC.main()
            done.signal()
        }
        done.wait()
    }
}
