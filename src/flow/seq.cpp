#include "tcpflow/flow/seq.h"
