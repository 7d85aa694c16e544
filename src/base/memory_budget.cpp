#include "tcpflow/base/memory_budget.h"
