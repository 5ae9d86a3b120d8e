// Time of a node LP of the sharp bound's branch and bound, warm-started
// from its parent's basis by the primal simplex (DUAL=1: dual simplex),
// with COIN-OR Clp (a fresh model per node, as pidbounds does so that a
// solve depends on its arguments only, and one reused model) and with GLPK
// (a fresh problem per node, and one reused problem). Build and run with
// scripts/bench-lp.sh.
//
// The LP: cells r(x1,x2,y) of a joint read from stdin (n1 n2 k, then the
// n1*n2*k masses), rows = its three pairwise marginals, objective = the
// secant of -t log2 t on each cell's interval. Dives: from the root,
// branch on the cell with the largest function-minus-secant gap at the LP
// point, take a child at random, until depth 24 or the gap is tiny.
#include <Clp_C_Interface.h>
#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double f(double t) { return t > 0 ? -t * log2(t) : 0; }
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static int n1, n2, k, cells, rows;
static int *starts, *index_;
static double *value, *rhs, *lo, *up, *obj;

static void secants(void) {
  for (int c = 0; c < cells; c++) {
    double w = up[c] - lo[c];
    obj[c] = w > 1e-15 ? (f(up[c]) - f(lo[c])) / w : 0;
  }
}

int main(int argc, char **argv) {
  int dives = argc > 1 ? atoi(argv[1]) : 200;
  if (scanf("%d %d %d", &n1, &n2, &k) != 3) return 64;
  cells = n1 * n2 * k;
  rows = n1 * n2 + n1 * k + n2 * k;
  double *p = calloc(cells, sizeof *p);
  for (int c = 0; c < cells; c++) if (scanf("%lf", &p[c]) != 1) return 65;
  starts = malloc(sizeof(int) * (cells + 1));
  index_ = malloc(sizeof(int) * 3 * cells);
  value = malloc(sizeof(double) * 3 * cells);
  rhs = calloc(rows, sizeof *rhs);
  lo = calloc(cells, sizeof *lo);
  up = calloc(cells, sizeof *up);
  obj = calloc(cells, sizeof *obj);
  double *root_up = calloc(cells, sizeof *root_up);
  for (int a = 0; a < n1; a++)
    for (int b = 0; b < n2; b++)
      for (int y = 0; y < k; y++) {
        int c = (a * n2 + b) * k + y;
        int r[3] = {a * n2 + b, n1 * n2 + a * k + y, n1 * n2 + n1 * k + b * k + y};
        starts[c] = 3 * c;
        for (int i = 0; i < 3; i++) { index_[3 * c + i] = r[i]; value[3 * c + i] = 1; rhs[r[i]] += p[c]; }
      }
  starts[cells] = 3 * cells;
  for (int a = 0; a < n1; a++)
    for (int b = 0; b < n2; b++)
      for (int y = 0; y < k; y++) {
        int c = (a * n2 + b) * k + y;
        double m = rhs[a * n2 + b];
        if (rhs[n1 * n2 + a * k + y] < m) m = rhs[n1 * n2 + a * k + y];
        if (rhs[n1 * n2 + n1 * k + b * k + y] < m) m = rhs[n1 * n2 + n1 * k + b * k + y];
        root_up[c] = m;
      }

  // The same dives for the three engines: a fixed random sequence.
  int nodes = 0;
  double t_fresh = 0, t_reuse = 0, t_glpk = 0, t_glpk_fresh = 0;
  long it_fresh = 0;
  double worst = 0;
  unsigned char *basis = malloc(cells + rows), *parent = malloc(cells + rows);
  double *x = malloc(sizeof(double) * cells);

  Clp_Simplex *reused = Clp_newModel();
  Clp_setLogLevel(reused, 0);
  memcpy(up, root_up, sizeof(double) * cells);
  secants();
  Clp_loadProblem(reused, cells, rows, starts, index_, value, lo, up, obj, rhs, rhs);
  Clp_initialSolve(reused);
  unsigned char *root_basis = malloc(cells + rows);
  memcpy(root_basis, Clp_statusArray(reused), cells + rows);

  glp_prob *g = glp_create_prob();
  glp_add_rows(g, rows);
  glp_add_cols(g, cells);
  for (int i = 0; i < rows; i++) glp_set_row_bnds(g, i + 1, GLP_FX, rhs[i], rhs[i]);
  {
    int ne = 3 * cells;
    int *ia = malloc(sizeof(int) * (ne + 1)), *ja = malloc(sizeof(int) * (ne + 1));
    double *ar = malloc(sizeof(double) * (ne + 1));
    for (int c = 0; c < cells; c++)
      for (int i = 0; i < 3; i++) { ia[3 * c + i + 1] = index_[3 * c + i] + 1; ja[3 * c + i + 1] = c + 1; ar[3 * c + i + 1] = 1; }
    glp_load_matrix(g, ne, ia, ja, ar);
  }
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.meth = getenv("DUAL") ? GLP_DUALP : GLP_PRIMAL;
  for (int c = 0; c < cells; c++) {
    glp_set_col_bnds(g, c + 1, root_up[c] > 0 ? GLP_DB : GLP_FX, 0, root_up[c]);
    glp_set_obj_coef(g, c + 1, obj[c]);
  }
  glp_adv_basis(g, 0);
  glp_simplex(g, &parm);
  int *groot_r = malloc(sizeof(int) * rows), *groot_c = malloc(sizeof(int) * cells);
  for (int i = 0; i < rows; i++) groot_r[i] = glp_get_row_stat(g, i + 1);
  for (int c = 0; c < cells; c++) groot_c[c] = glp_get_col_stat(g, c + 1);
  int *gpar_r = malloc(sizeof(int) * rows), *gpar_c = malloc(sizeof(int) * cells);

  srand(7);
  for (int dive = 0; dive < dives; dive++) {
    memset(lo, 0, sizeof(double) * cells);
    memcpy(up, root_up, sizeof(double) * cells);
    memcpy(parent, root_basis, cells + rows);
    memcpy(gpar_r, groot_r, sizeof(int) * rows);
    memcpy(gpar_c, groot_c, sizeof(int) * cells);
    for (int depth = 0; depth < 24; depth++) {
      secants();
      double t0 = now();
      Clp_Simplex *m = Clp_newModel();
      Clp_setLogLevel(m, 0);
      Clp_loadProblem(m, cells, rows, starts, index_, value, lo, up, obj, rhs, rhs);
      Clp_copyinStatus(m, parent);
      if (getenv("DUAL")) Clp_dual(m, 0); else Clp_primal(m, 0);
      double t1 = now();
      t_fresh += t1 - t0;
      it_fresh += Clp_getIterationCount(m);
      int status = Clp_status(m);
      memcpy(x, Clp_getColSolution(m), sizeof(double) * cells);
      memcpy(basis, Clp_statusArray(m), cells + rows);
      double ofresh = Clp_getObjValue(m);
      Clp_deleteModel(m);

      t0 = now();
      Clp_chgColumnLower(reused, lo);
      Clp_chgColumnUpper(reused, up);
      Clp_chgObjCoefficients(reused, obj);
      Clp_copyinStatus(reused, parent);
      if (getenv("DUAL")) Clp_dual(reused, 0); else Clp_primal(reused, 0);
      t_reuse += now() - t0;

      t0 = now();
      for (int c = 0; c < cells; c++) {
        glp_set_col_bnds(g, c + 1, up[c] > lo[c] ? GLP_DB : GLP_FX, lo[c], up[c]);
        glp_set_obj_coef(g, c + 1, obj[c]);
        glp_set_col_stat(g, c + 1, gpar_c[c]);
      }
      for (int i = 0; i < rows; i++) glp_set_row_stat(g, i + 1, gpar_r[i]);
      glp_simplex(g, &parm);
      t_glpk += now() - t0;

      t0 = now();
      {
        glp_prob *h = glp_create_prob();
        glp_add_rows(h, rows);
        glp_add_cols(h, cells);
        for (int i = 0; i < rows; i++) glp_set_row_bnds(h, i + 1, GLP_FX, rhs[i], rhs[i]);
        for (int c = 0; c < cells; c++) {
          int ind[4];
          double val[4] = {0, 1, 1, 1};
          for (int i = 0; i < 3; i++) ind[i + 1] = index_[3 * c + i] + 1;
          glp_set_mat_col(h, c + 1, 3, ind, val);
          glp_set_col_bnds(h, c + 1, up[c] > lo[c] ? GLP_DB : GLP_FX, lo[c], up[c]);
          glp_set_obj_coef(h, c + 1, obj[c]);
          glp_set_col_stat(h, c + 1, gpar_c[c]);
        }
        for (int i = 0; i < rows; i++) glp_set_row_stat(h, i + 1, gpar_r[i]);
        glp_simplex(h, &parm);
        glp_delete_prob(h);
      }
      t_glpk_fresh += now() - t0;
      double d = fabs(glp_get_obj_val(g) - Clp_getObjValue(reused)) + fabs(ofresh - Clp_getObjValue(reused));
      if (d > worst) worst = d;
      nodes++;
      if (status != 0) break;
      for (int i = 0; i < rows; i++) gpar_r[i] = glp_get_row_stat(g, i + 1);
      for (int c = 0; c < cells; c++) gpar_c[c] = glp_get_col_stat(g, c + 1);
      memcpy(parent, basis, cells + rows);
      int best = -1;
      double gap = 1e-9;
      for (int c = 0; c < cells; c++) {
        double w = up[c] - lo[c];
        if (w <= 1e-12) continue;
        double s = f(lo[c]) + (f(up[c]) - f(lo[c])) / w * (x[c] - lo[c]);
        if (f(x[c]) - s > gap) { gap = f(x[c]) - s; best = c; }
      }
      if (best < 0) break;
      if (rand() & 1) lo[best] = x[best]; else up[best] = x[best];
    }
  }
    printf("{\"table\": \"%dx%dx%d\", \"node_lps\": %d, \"clp_fresh_us\": %.1f, \"clp_reused_us\": %.1f, "
         "\"glpk_fresh_us\": %.1f, \"glpk_reused_us\": %.1f, \"clp_iterations_per_node\": %.2f, \"objective_disagreement\": %.2e, \"clp\": \"%s\", \"glpk\": \"%s\"}\n",
         n1, n2, k, nodes, 1e6 * t_fresh / nodes, 1e6 * t_reuse / nodes, 1e6 * t_glpk_fresh / nodes, 1e6 * t_glpk / nodes,
         (double)it_fresh / nodes, worst, Clp_Version(), glp_version());
  return 0;
}
