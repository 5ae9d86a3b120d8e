#include "pb_lp.h"

#include <Clp_C_Interface.h>
#include <stdlib.h>
#include <string.h>

struct pb_lp {
  int rows, columns;
  int *starts, *indices;
  double *values, *row_lower, *row_upper;
};

pb_lp *pb_lp_create(int rows, int columns, const int *column_starts,
                    const int *row_indices, const double *values,
                    const double *row_lower, const double *row_upper) {
  if (rows < 0 || columns < 0 || !column_starts) return NULL;
  int elements = column_starts[columns];
  if (elements < 0) return NULL;
  pb_lp *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->rows = rows;
  p->columns = columns;
  p->starts = malloc(sizeof(int) * (size_t)(columns + 1));
  p->indices = malloc(sizeof(int) * (size_t)(elements ? elements : 1));
  p->values = malloc(sizeof(double) * (size_t)(elements ? elements : 1));
  p->row_lower = malloc(sizeof(double) * (size_t)(rows ? rows : 1));
  p->row_upper = malloc(sizeof(double) * (size_t)(rows ? rows : 1));
  if (!p->starts || !p->indices || !p->values || !p->row_lower || !p->row_upper) {
    pb_lp_free(p);
    return NULL;
  }
  memcpy(p->starts, column_starts, sizeof(int) * (size_t)(columns + 1));
  memcpy(p->indices, row_indices, sizeof(int) * (size_t)elements);
  memcpy(p->values, values, sizeof(double) * (size_t)elements);
  memcpy(p->row_lower, row_lower, sizeof(double) * (size_t)rows);
  memcpy(p->row_upper, row_upper, sizeof(double) * (size_t)rows);
  return p;
}

void pb_lp_free(pb_lp *p) {
  if (!p) return;
  free(p->starts);
  free(p->indices);
  free(p->values);
  free(p->row_lower);
  free(p->row_upper);
  free(p);
}

// Feasibility tolerances of 1e-9 (Clp's default is 1e-7): the branch and
// bound's certified bounds come from the multipliers, and multipliers of a
// solve accurate to 1e-7 leave bounds about 1e-6 bits low on thin boxes,
// where the search must close to 1e-6.
static void set_tolerances(Clp_Simplex *model) {
  Clp_setPrimalTolerance(model, 1e-9);
  Clp_setDualTolerance(model, 1e-9);
}

int pb_lp_solve(const pb_lp *p, const double *objective,
                const double *column_lower, const double *column_upper,
                const unsigned char *basis_in, double *primal, double *dual,
                unsigned char *basis_out, double *objective_value,
                int *iterations, int *ray) {
  if (!p || !objective || !column_lower || !column_upper || !primal || !dual) return -1;
  Clp_Simplex *model = Clp_newModel();
  if (!model) return -1;
  Clp_setLogLevel(model, 0);
  set_tolerances(model);
  Clp_loadProblem(model, p->columns, p->rows, p->starts, p->indices, p->values,
                  column_lower, column_upper, objective, p->row_lower, p->row_upper);
  if (basis_in) {
    Clp_copyinStatus(model, basis_in);
    // The branch and bound warm-starts a child from its parent's optimal
    // basis, which stays primal feasible (the branching value is an end
    // of both children's intervals): primal simplex.
    Clp_primal(model, 0);
  } else {
    Clp_initialSolve(model);
  }
  int status = Clp_status(model);
  if (basis_in && status != 0 && status != 1) {
    // The warm start failed (limits or numerical trouble): once more from
    // scratch in a fresh model, still a function of the arguments.
    Clp_deleteModel(model);
    model = Clp_newModel();
    if (!model) return -1;
    Clp_setLogLevel(model, 0);
    set_tolerances(model);
    Clp_loadProblem(model, p->columns, p->rows, p->starts, p->indices, p->values,
                    column_lower, column_upper, objective, p->row_lower, p->row_upper);
    Clp_initialSolve(model);
    status = Clp_status(model);
  }
  if (status < 0 || status > 4) status = 4;
  memcpy(primal, Clp_getColSolution(model), sizeof(double) * (size_t)p->columns);
  memcpy(dual, Clp_getRowPrice(model), sizeof(double) * (size_t)p->rows);
  if (ray) *ray = 0;
  if (status == 1) {
    double *farkas = Clp_infeasibilityRay(model);
    if (farkas) {
      memcpy(dual, farkas, sizeof(double) * (size_t)p->rows);
      Clp_freeRay(model, farkas);
      if (ray) *ray = 1;
    }
  }
  if (basis_out) {
    const unsigned char *s = Clp_statusArray(model);
    if (s) memcpy(basis_out, s, (size_t)(p->columns + p->rows));
    else memset(basis_out, 0, (size_t)(p->columns + p->rows));
  }
  if (objective_value) *objective_value = Clp_getObjValue(model);
  if (iterations) *iterations = Clp_getIterationCount(model);
  Clp_deleteModel(model);
  return status;
}

const char *pb_lp_version(void) { return Clp_Version(); }
