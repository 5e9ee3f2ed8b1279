#include "daemon/cli.h"

int main(int argc, char** argv) { return omswatch::daemon::run_cli(argc, argv); }
