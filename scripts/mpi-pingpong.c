/* Message cost between two MPI ranks, for scripts/scaling-model.py: the
 * median round trip of messages of the sizes pidbounds' work queue sends
 * (a chunk of job indices; a chunk's results), over whatever transport
 * mpirun chose. Prints one line per size: `bytes round_trip_seconds`. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int sizes[] = {8, 64, 512, 4096, 32768};
  const int repeats = 400;
  double *buffer = calloc(32768 / 8 + 1, sizeof(double));
  double times[400];
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    int count = sizes[s] / 8;
    for (int r = 0; r < repeats; r++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double start = MPI_Wtime();
      if (rank == 0) {
        MPI_Send(buffer, count, MPI_DOUBLE, 1, 1, MPI_COMM_WORLD);
        MPI_Recv(buffer, count, MPI_DOUBLE, 1, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else if (rank == 1) {
        MPI_Recv(buffer, count, MPI_DOUBLE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buffer, count, MPI_DOUBLE, 0, 2, MPI_COMM_WORLD);
      }
      times[r] = MPI_Wtime() - start;
    }
    if (rank == 0) {
      qsort(times, repeats, sizeof *times, compare);
      printf("%d %.9f\n", sizes[s], times[repeats / 2]);
    }
  }
  free(buffer);
  MPI_Finalize();
  return 0;
}
