#include "tcpflow/memory_budget.h"
