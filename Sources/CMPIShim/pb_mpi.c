#include "pb_mpi.h"

#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int pb_mpi_init(int *rank, int *size) {
  int provided = 0;
  int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS) return rc;
  rc = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  if (rc != MPI_SUCCESS) return rc;
  rc = MPI_Comm_rank(MPI_COMM_WORLD, rank);
  if (rc != MPI_SUCCESS) return rc;
  return MPI_Comm_size(MPI_COMM_WORLD, size);
}

int pb_mpi_is_initialized(void) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

int pb_mpi_finalize(void) { return MPI_Finalize(); }

int pb_mpi_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }


// MPI counts are ints: large buffers go in chunks.
static const long chunk = INT_MAX / 8;

int pb_mpi_bcast_bytes(void *buffer, long count, int root) {
  char *p = buffer;
  while (count > 0) {
    int n = (int)(count < chunk ? count : chunk);
    int rc = MPI_Bcast(p, n, MPI_BYTE, root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return rc;
    p += n;
    count -= n;
  }
  return MPI_SUCCESS;
}

int pb_mpi_bcast_doubles(double *buffer, long count, int root) {
  while (count > 0) {
    int n = (int)(count < chunk ? count : chunk);
    int rc = MPI_Bcast(buffer, n, MPI_DOUBLE, root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return rc;
    buffer += n;
    count -= n;
  }
  return MPI_SUCCESS;
}

int pb_mpi_allreduce_max_ints(const int *send, int *receive, long count) {
  if (count > INT_MAX) return MPI_ERR_COUNT;
  return MPI_Allreduce(send, receive, (int)count, MPI_INT, MPI_MAX,
                       MPI_COMM_WORLD);
}

int pb_mpi_gatherv_bytes(const void *send, long count, void *receive,
                         const long *counts, int root) {
  int rank = 0, size = 1;
  int rc = MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rc != MPI_SUCCESS) return rc;
  rc = MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rc != MPI_SUCCESS) return rc;
  if (count > INT_MAX) return MPI_ERR_COUNT;
  int *icounts = NULL, *displs = NULL;
  if (rank == root) {
    icounts = malloc(sizeof(int) * (size_t)size);
    displs = malloc(sizeof(int) * (size_t)size);
    if (!icounts || !displs) {
      free(icounts);
      free(displs);
      return MPI_ERR_NO_MEM;
    }
    long offset = 0;
    for (int r = 0; r < size; r++) {
      if (counts[r] > INT_MAX || offset > INT_MAX) {
        free(icounts);
        free(displs);
        return MPI_ERR_COUNT;
      }
      icounts[r] = (int)counts[r];
      displs[r] = (int)offset;
      offset += counts[r];
    }
  }
  rc = MPI_Gatherv(send, (int)count, MPI_BYTE, receive, icounts, displs,
                   MPI_BYTE, root, MPI_COMM_WORLD);
  free(icounts);
  free(displs);
  return rc;
}

int pb_mpi_send_doubles(const double *buffer, long count, int destination,
                        int tag) {
  if (count > INT_MAX) return MPI_ERR_COUNT;
  return MPI_Send(buffer, (int)count, MPI_DOUBLE, destination, tag,
                  MPI_COMM_WORLD);
}

int pb_mpi_probe(int source, int blocking, int *found, int *from, int *tag,
                 long *count) {
  MPI_Status status;
  int rc;
  int any = source < 0 ? MPI_ANY_SOURCE : source;
  if (blocking) {
    rc = MPI_Probe(any, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    *found = 1;
  } else {
    rc = MPI_Iprobe(any, MPI_ANY_TAG, MPI_COMM_WORLD, found, &status);
  }
  if (rc != MPI_SUCCESS || !*found) return rc;
  int n = 0;
  rc = MPI_Get_count(&status, MPI_DOUBLE, &n);
  if (rc != MPI_SUCCESS) return rc;
  *from = status.MPI_SOURCE;
  *tag = status.MPI_TAG;
  *count = n;
  return MPI_SUCCESS;
}

int pb_mpi_recv_doubles(double *buffer, long count, int source, int tag) {
  if (count > INT_MAX) return MPI_ERR_COUNT;
  return MPI_Recv(buffer, (int)count, MPI_DOUBLE, source, tag, MPI_COMM_WORLD,
                  MPI_STATUS_IGNORE);
}

void pb_mpi_error_string(int code, char *buffer, int length) {
  if (length <= 0) return;
  char text[MPI_MAX_ERROR_STRING];
  int n = 0;
  if (MPI_Error_string(code, text, &n) != MPI_SUCCESS) n = 0;
  text[n < MPI_MAX_ERROR_STRING ? n : MPI_MAX_ERROR_STRING - 1] = '\0';
  strncpy(buffer, text, (size_t)length - 1);
  buffer[length - 1] = '\0';
}
