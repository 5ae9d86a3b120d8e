#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Set by the SIGTERM and SIGUSR1 handler. Atomic (lock-free, so safe to
/// store from a signal handler), so that every read between jobs sees the
/// handler's store: a plain global could be kept in a register across a
/// loop that the compiler sees no store in.
let terminationFlag = Atomic<Bool>(false)

/// Whether a SIGTERM or SIGUSR1 asked for a clean stop; checked between jobs.
var terminationRequested: Bool { terminationFlag.load(ordering: .relaxed) }

/// Makes SIGTERM (a batch scheduler's warning) and SIGUSR1 (the early
/// warning a batch script forwards through `mpirun`, which passes SIGUSR1
/// on to the ranks without killing them) request a clean stop.
func installTerminationHandler() {
  // A global is initialized on first use (`swift_once`, not safe in a
  // signal handler): touched here, before any handler can run.
  _ = terminationFlag.load(ordering: .relaxed)
  signal(SIGTERM) { _ in terminationFlag.store(true, ordering: .relaxed) }
  signal(SIGUSR1) { _ in terminationFlag.store(true, ordering: .relaxed) }
  // A parent may have left them blocked in the inherited mask.
  var set = sigset_t()
  sigemptyset(&set)
  sigaddset(&set, SIGTERM)
  sigaddset(&set, SIGUSR1)
  pthread_sigmask(SIG_UNBLOCK, &set, nil)
}
