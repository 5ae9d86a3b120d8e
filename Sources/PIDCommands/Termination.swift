#if canImport(Glibc)
import Glibc
#endif

/// Set by the SIGTERM and SIGUSR1 handler; checked between jobs.
nonisolated(unsafe) var terminationRequested: Int32 = 0

/// Makes SIGTERM (a batch scheduler's warning) and SIGUSR1 (the early
/// warning a batch script forwards through `mpirun`, which passes SIGUSR1
/// on to the ranks without killing them) request a clean stop.
func installTerminationHandler() {
  signal(SIGTERM) { _ in terminationRequested = 1 }
  signal(SIGUSR1) { _ in terminationRequested = 1 }
  // A parent may have left them blocked in the inherited mask.
  var set = sigset_t()
  sigemptyset(&set)
  sigaddset(&set, SIGTERM)
  sigaddset(&set, SIGUSR1)
  pthread_sigmask(SIG_UNBLOCK, &set, nil)
}
