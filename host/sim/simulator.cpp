// Placeholder while this file is being written; replaced before it lands.
#include "host/sim/simulator.hpp"
