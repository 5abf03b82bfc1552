// Placeholder while this file is being written; replaced before it lands.
#include "host/vidu/capabilities.hpp"
