#include "tcpflow/seq.h"
