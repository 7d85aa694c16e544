// sink_adapters.cpp: the adapters are defined in their header; this unit checks it stands alone.
#include "tcpflow/app/sink_adapters.h"
