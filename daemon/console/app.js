// omswatch console
