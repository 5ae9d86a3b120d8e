#include <Clp_C_Interface.h>
