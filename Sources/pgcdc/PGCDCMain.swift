import ArgumentParser
import PGCDCCommand

/// The `pgcdc` executable: everything it does lives in `PGCDCCommand`.
@main
enum PGCDCMain {
    static func main() async {
        await PGCDC.main()
    }
}
